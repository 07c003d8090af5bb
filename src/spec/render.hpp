#pragma once
// The AsyncAPI renderers: one JSON tree per version from the same specification model.
#include <boost/json/object.hpp>

#include "spec/model.hpp"

namespace faststream::spec {

boost::json::object render_v3(const Spec& spec);  // AsyncAPI 3.0.0
boost::json::object render_v2(const Spec& spec);  // AsyncAPI 2.6.0

// Parts both renderers share.
boost::json::object render_info(const Spec& spec);
boost::json::object render_message(const Message& message, const std::string& name, bool v2);

}  // namespace faststream::spec
