/* The dashboard's static files under web_dir: what dispatch serves for a GET that no route
 * matches outside /api/. */
#include <string.h>
#include <sys/stat.h>

#include "api_internal.h"
#include "imgeda/util.h"

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    static const char *const map[][2] = {{".html", "text/html; charset=utf-8"},
                                         {".css", "text/css; charset=utf-8"},
                                         {".js", "text/javascript; charset=utf-8"},
                                         {".json", "application/json"},
                                         {".svg", "image/svg+xml"},
                                         {".png", "image/png"},
                                         {".ico", "image/x-icon"},
                                         {".woff2", "font/woff2"}};
    for (size_t i = 0; dot && i < IE_ARRAY_LEN(map); i++)
        if (strcmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

enum MHD_Result srv_h_static(struct srv_req *r)
{
    const char *u = r->url;
    if (strstr(u, "..") || strchr(u, '\\') || strlen(u) > 512)
        return srv_reply_error(r, 400, "bad_request", "bad path");
    struct ie_buf p;
    ie_buf_init(&p);
    ie_buf_addf(&p, "%s%s", r->ctx->web_dir, u);
    if (u[strlen(u) - 1] == '/')
        ie_buf_adds(&p, "index.html");
    struct stat st;
    if (stat(p.data, &st) != 0 || !S_ISREG(st.st_mode)) {
        ie_buf_release(&p);
        return srv_reply_error(r, 404, "not_found", "no such page");
    }
    enum MHD_Result rc = srv_reply_file(r, p.data, mime_of(p.data), NULL);
    ie_buf_release(&p);
    return rc;
}
