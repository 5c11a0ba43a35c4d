#include "netrc.hpp"

#include <cctype>
#include <vector>

namespace tessera::cli {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/// Splits .netrc text into tokens, dropping comments and macro bodies.
class tokenizer {
 public:
  explicit tokenizer(std::string_view text) : text_(text) {}

  /// The next token, or nullopt at the end of the text.
  std::optional<std::string> next() {
    for (;;) {
      while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
      if (pos_ >= text_.size()) return std::nullopt;
      if (text_[pos_] == '#') {  // a comment runs to the end of the line
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      if (text_[pos_] == '"') return quoted();
      std::size_t start = pos_;
      while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
      return std::string(text_.substr(start, pos_ - start));
    }
  }

  /// Skips a macro body: everything up to the next empty line (two newlines in a row, with only
  /// blanks between them), after the rest of the `macdef NAME` line.
  void skip_macro() {
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    while (pos_ < text_.size()) {
      ++pos_;  // past a '\n'
      std::size_t p = pos_;
      while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t' || text_[p] == '\r')) ++p;
      if (p >= text_.size() || text_[p] == '\n') {
        pos_ = p;
        return;
      }
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    }
  }

 private:
  std::string quoted() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        char e = text_[pos_++];
        c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
      }
      out += c;
    }
    if (pos_ < text_.size()) ++pos_;  // the closing quote (an unterminated one ends the text)
    return out;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<netrc_login> find_netrc_login(std::string_view text, std::string_view host) {
  tokenizer tokens(text);
  std::optional<netrc_login> fallback;  // the `default` entry, used only when no machine matches
  // The entry being read: whether it applies to `host` (a machine of that name) or is `default`.
  enum class entry_kind { none, other, match, default_entry } current = entry_kind::none;
  netrc_login login;
  auto finish = [&]() -> bool {
    if (current == entry_kind::match) return true;
    if (current == entry_kind::default_entry && !fallback) fallback = login;
    return false;
  };
  while (auto token = tokens.next()) {
    if (*token == "machine" || *token == "default") {
      if (finish()) return login;
      login = {};
      if (*token == "default") {
        current = entry_kind::default_entry;
        continue;
      }
      auto name = tokens.next();
      if (!name) break;
      current = iequals(*name, host) ? entry_kind::match : entry_kind::other;
    } else if (*token == "login" || *token == "password" || *token == "account") {
      auto value = tokens.next();
      if (!value) break;
      if (*token == "login") login.login = *value;
      if (*token == "password") login.password = *value;
    } else if (*token == "macdef") {
      tokens.skip_macro();
    }
    // Anything else is skipped, one token at a time.
  }
  if (finish()) return login;
  return fallback;
}

}  // namespace tessera::cli
