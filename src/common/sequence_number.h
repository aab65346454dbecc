// Kinesis sequence numbers are decimal strings of up to 129 digits: kept as strings, compared as
// numbers (a shorter number is smaller whatever its first digit).
#pragma once

#include <string_view>

namespace ki {

// <0, 0, >0 like strcmp, numerically. Leading zeros are ignored.
int CompareSequenceNumbers(std::string_view a, std::string_view b);
bool IsValidSequenceNumber(std::string_view s);  // 1..129 decimal digits

}  // namespace ki
