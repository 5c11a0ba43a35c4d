// Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /): the HTTP front (the
// credentials of a Basic Authorization header, the salt and key of a password hash), torrent-add's
// `metainfo`, and the tessera verbs' requests. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::rpc::detail {

/// Encodes the bytes of `data`; with `pad`, '=' fills the last group to 4 characters.
std::string base64_encode(std::string_view data, bool pad = true);

/// Decodes `text`, with or without '=' padding. nullopt for any character outside the alphabet
/// (whitespace included), padding anywhere but the end, a length that no encoding produces
/// (4k+1 characters), or non-zero bits left over in the last character (so each byte string has
/// exactly one accepted encoding per padding choice).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tessera::rpc::detail
