package main

import (
	"fmt"
	"log/slog"

	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/clientaddr"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/store"
)

// newAdmin builds the administration API (/api/v1/admin/…); the routing
// core hands it the ACD once it runs (coreDeps.admin).
func newAdmin(cfg config.Config, st *store.Store, authSvc *auth.Service, log *slog.Logger) (*admin.API, error) {
	clients, err := clientaddr.New(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	return admin.New(admin.Options{
		Store: st, Hasher: authSvc.Hasher(), PasswordMinLength: cfg.Auth.PasswordMinLength,
		Revoke: authSvc.RevokeAgent, ClientAddr: clients.Addr, MaxBody: cfg.HTTP.MaxBodyBytes, SIPRealm: cfg.Phones.Realm,
		Logger: log.With("component", "admin"),
	}), nil
}
