#pragma once

#include <string_view>

namespace sgaudit::collect::detail {

// The EC2 output shapes the XML converter follows (aws_ec2_shapes.cpp describes the format).
std::string_view ec2ShapesText();

}  // namespace sgaudit::collect::detail
