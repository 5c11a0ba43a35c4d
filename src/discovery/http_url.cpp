// The client's reading of an http(s) URL (see http_url.hpp).
#include "discovery/http_url.hpp"

#include <boost/url/parse.hpp>

namespace tessera::detail {

result<http_url, http_url_errc> parse_http_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return unexpected{http_url_errc::not_a_url};
  http_url url;
  if (parsed->scheme_id() == boost::urls::scheme::https) {
    url.tls = true;
  } else if (parsed->scheme_id() != boost::urls::scheme::http) {
    return unexpected{http_url_errc::unsupported_scheme};
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty()) return unexpected{http_url_errc::no_host};
  url.host = parsed->host_address();
  if (parsed->has_port()) {
    if (parsed->port().empty() || parsed->port_number() == 0) return unexpected{http_url_errc::bad_port};
    url.port = parsed->port_number();
  } else {
    url.port = url.tls ? 443 : 80;
  }
  url.host_header = std::string(parsed->encoded_host_and_port());
  const std::string_view target = parsed->encoded_target();
  url.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
  if (parsed->has_userinfo()) {
    url.user = std::string(parsed->user());
    if (parsed->has_password()) url.password = std::string(parsed->password());
  }
  return url;
}

}  // namespace tessera::detail
