package admin

import "net/http"

func (a *API) customerRoutes(mux *http.ServeMux, h handle) {}
