// The OpenAPI 3.0 document of the API, generated from the RouteTable (paths, methods,
// parameters, bodies, responses) plus the component schemas in openapi_schemas.cc.
#pragma once

#include <nlohmann/json.hpp>

#include "api/route_table.h"

namespace spotkeeper::api {

nlohmann::json BuildOpenApi(const RouteTable& table);

// components.schemas: Group, GroupSpec, StatefulInstance, Event, ImportStatus, Error, ...
nlohmann::json OpenApiSchemas();

}  // namespace spotkeeper::api
