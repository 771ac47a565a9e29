package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/clientaddr"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/store"
)

// newAdmin builds the administration API (/api/v1/admin/…); the routing
// core hands it the ACD once it runs (coreDeps.admin).
func newAdmin(cfg config.Config, st *store.Store, authSvc *auth.Service, cals *calendar.Set, tickets *desk, flows *flowSet, log *slog.Logger) (*admin.API, error) {
	clients, err := clientaddr.New(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	return admin.New(admin.Options{
		Store: st, Hasher: authSvc.Hasher(), PasswordMinLength: cfg.Auth.PasswordMinLength,
		Revoke: authSvc.RevokeAgent, ClientAddr: clients.Addr, MaxBody: cfg.HTTP.MaxBodyBytes,
		Logger: log.With("component", "admin"), Calendars: cals, Flows: flows,
		// The open tickets' deadlines follow a changed calendar at once.
		CalendarChanged: func(ctx context.Context, name string) {
			n, err := tickets.service.Replan(ctx, name)
			if err != nil {
				log.Error("ticket deadlines not replanned after a calendar change", "calendar", name, "err", err)
				return
			}
			log.Info("calendar changed", "calendar", name, "tickets_replanned", n)
		},
	}), nil
}

// deskAnnouncer shows administration's announcements on the desks.
type deskAnnouncer struct{ gw *agentdesk.Gateway }

func (d deskAnnouncer) Announce(n admin.Notice, agentIDs []string) {
	d.gw.Announce(agentdesk.Announcement{ID: n.ID, Text: n.Text, Team: n.Team, Severity: n.Severity,
		CreatedAt: n.CreatedAt, ExpiresAt: n.ExpiresAt}, agentIDs)
}

func (d deskAnnouncer) Withdraw(id string, agentIDs []string) {
	d.gw.WithdrawAnnouncement(id, agentIDs)
}
