/* The REST API v1 (SPEC §6.3): one route table drives dispatch and the OpenAPI document. */
#ifndef IMGEDA_SERVER_API_H
#define IMGEDA_SERVER_API_H

#include <microhttpd.h>

#include "http.h"

/* Routes the request to its handler, or to the dashboard's static files; the HTTP server's
 * handler (srv_handler_fn), given to srv_http_start. */
enum MHD_Result srv_api_dispatch(struct srv_req *r);
/* The OpenAPI 3 document generated from the route table. */
cJSON *srv_api_openapi(void);

#endif
