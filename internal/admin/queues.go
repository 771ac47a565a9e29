package admin

import "net/http"

func (a *API) queueRoutes(mux *http.ServeMux, h handle) {}
