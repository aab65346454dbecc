// Standard (RFC 4648) base64 as Kinesis uses it for record Data.
#pragma once

#include <string>
#include <string_view>

namespace ki {

void Base64Encode(std::string_view in, std::string& out);  // appends
std::string Base64Encode(std::string_view in);
// Appends the decoded bytes to `out`; false on characters outside the alphabet or bad length.
// Accepts padded and unpadded input.
bool Base64Decode(std::string_view in, std::string& out);

}  // namespace ki
