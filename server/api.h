/* The REST API v1 (SPEC §6.3): one route table drives dispatch and the OpenAPI document. */
#ifndef IMGEDA_SERVER_API_H
#define IMGEDA_SERVER_API_H

#include <microhttpd.h>

#include "http.h"

/* Routes the request; *status receives the reply's status for the metrics. */
enum MHD_Result srv_api_dispatch(struct srv_req *r, unsigned *status);
/* The OpenAPI 3 document generated from the route table. */
cJSON *srv_api_openapi(void);

#endif
