package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"go.yaml.in/yaml/v3"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/notify"
	"github.com/hotline10000/hotline/agentdesk/ticket/rest"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
)

//go:embed tickets-demo.yaml
var demoTickets []byte

// ticketsFile is the layout of tickets.settings_file: the desk's rules,
// SLA policies, directory and timers, the business calendars they name,
// and where notifications go. Its reference is docs/tickets.md.
type ticketsFile struct {
	ticket.Settings `yaml:",inline"`
	Calendars       []calendar.Spec `yaml:"calendars"`
	Notify          notify.Settings `yaml:"notify"`
}

// loadTicketsFile reads the ticket settings: the configured file, else the
// demo center's when the demo is on, else the defaults. Unknown keys are
// errors with their line.
func loadTicketsFile(cfg config.Config) (ticketsFile, string, error) {
	f := ticketsFile{Settings: ticket.DefaultSettings()}
	var data []byte
	name := "defaults"
	switch {
	case cfg.Tickets.SettingsFile != "":
		b, err := os.ReadFile(cfg.Tickets.SettingsFile)
		if err != nil {
			return f, "", fmt.Errorf("tickets.settings_file: %w", err)
		}
		data, name = b, cfg.Tickets.SettingsFile
	case cfg.Demo:
		data, name = demoTickets, "demo"
	default:
		return f, name, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return f, "", fmt.Errorf("tickets.settings_file: %s: %s", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if err := f.Notify.Validate(); err != nil {
		return f, "", fmt.Errorf("tickets.settings_file: %s: %w", name, err)
	}
	return f, name, nil
}

// desk is the ticket desk of a node: the service, its SLA timer loop and
// its notification courier.
type desk struct {
	service  *ticket.Service
	courier  *ticket.Courier
	settings ticketsFile // as the file (or the demo, or the defaults) has them
	api      http.Handler
	// live is the directory, groups and form as administered now (the
	// file's until administration saves ticket settings).
	live      atomic.Pointer[ticketLive]
	calendars map[string]ticket.Calendar
}

func newDesk(cfg config.Config, st *store.Store, bus *event.Bus, cals *calendar.Set, log *slog.Logger, trail *audit.Log, clientAddr func(*http.Request) string) (*desk, error) {
	f, source, err := loadTicketsFile(cfg)
	if err != nil {
		return nil, err
	}
	calendars := map[string]ticket.Calendar{}
	for i, spec := range f.Calendars {
		c, err := calendar.New(spec)
		if err != nil {
			return nil, fmt.Errorf("tickets.settings_file: calendars[%d]: %w", i, err)
		}
		// Asked through the node's set: an administered calendar of the
		// same name answers instead, as soon as it is saved.
		calendars[c.Name()] = cals.Live(c.Name(), c)
	}
	tcfg, err := f.Config(calendars, f.Notify.Subscribers())
	if err != nil {
		return nil, fmt.Errorf("tickets.settings_file (%s): %w", source, err)
	}
	tcfg.Logger = log
	d := &desk{settings: f, calendars: calendars}
	d.live.Store(newTicketLive(f.Settings))
	staff := ticketStaff{st: st, cur: &d.live}
	tcfg.Directory, tcfg.Targets = staff, staff
	tcfg.Publish = func(e ticket.Event) {
		_, _ = bus.Publish(context.Background(), event.Event{Type: event.Type(e.Kind), At: e.At, ContactID: e.Contact, Actor: e.Actor, Data: e})
	}
	// One repository per process: it caches blocks of ticket numbers.
	repo := ticketstore.New(st, f.NumberBlock)
	svc, err := ticket.NewService(repo, ticket.SystemClock{}, tcfg)
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	groupsOf := func(_ context.Context, p auth.Principal) []string { return d.directory().GroupsOf(p.Login) }
	d.service = svc
	d.courier = ticket.NewCourier(repo, ticket.SystemClock{}, f.Notify.Router(), f.Courier())
	d.api = rest.New(svc, rest.FromAuth(groupsOf), rest.Options{Logger: log, Audit: trail, ClientAddr: clientAddr})
	return d, nil
}

// directory is the ticket directory as administered now.
func (d *desk) directory() ticket.StaticDirectory { return d.live.Load().dir }

// form is what the desk's ticket form offers now.
func (d *desk) form() agentdesk.TicketForm { return d.live.Load().form }

// FileSettings implements admin.TicketDesk: the administered keys as the
// settings file has them.
func (d *desk) FileSettings() admin.TicketSettings {
	f := d.settings.Settings
	out := admin.TicketSettings{Categories: f.Categories, Rules: f.Rules, SLA: f.SLA, Templates: f.Templates}
	names := map[string]bool{}
	for g := range f.Directory.Leads {
		names[g] = true
	}
	for g := range f.Directory.Members {
		names[g] = true
	}
	for _, g := range slices.Sorted(maps.Keys(names)) {
		out.Groups = append(out.Groups, admin.TicketGroup{Name: g, Lead: f.Directory.Leads[g], Members: f.Directory.Members[g]})
	}
	return out
}

// merged is the file's settings with the administered keys of s.
func (d *desk) merged(s admin.TicketSettings) ticket.Settings {
	f := d.settings.Settings
	f.Rules, f.SLA, f.Templates, f.Categories = s.Rules, s.SLA, s.Templates, s.Categories
	f.Directory.Leads, f.Directory.Members = map[string]string{}, map[string][]string{}
	for _, g := range s.Groups {
		if g.Lead != "" {
			f.Directory.Leads[g.Name] = g.Lead
		}
		f.Directory.Members[g.Name] = g.Members
	}
	return f
}

// Check implements admin.TicketDesk: the validation of the settings file.
func (d *desk) Check(s admin.TicketSettings) error {
	_, err := d.merged(s).Config(d.calendars, nil)
	return err
}

// Apply implements admin.TicketDesk: the rules, SLA targets, escalation
// and templates reach the ticket service, the groups the dispatch targets,
// the REST API's pools and the desk's form, at once. nil: the file's.
func (d *desk) Apply(_ context.Context, s *admin.TicketSettings) error {
	f := d.settings.Settings
	if s != nil {
		f = d.merged(*s)
	}
	if err := d.service.SetPolicy(f.Rules, f.SLA, f.Templates); err != nil {
		return err
	}
	d.live.Store(newTicketLive(f))
	return nil
}

// routes mounts the ticket API: staff routes behind the tickets
// permission, the customers' status check open (it is rate-limited and
// shows only customer-visible fields to whoever knows number and phone).
func (d *desk) routes(mux *http.ServeMux, a *auth.Service) {
	api := http.StripPrefix("/api/v1", d.api)
	for _, p := range []string{"/api/v1/tickets", "/api/v1/tickets/", "/api/v1/pools/"} {
		mux.Handle(p, a.Require(auth.PermTickets, api))
	}
	mux.Handle("/api/v1/public/ticket-status", api)
}

// run drives the SLA timers and the courier until ctx ends.
func (d *desk) run(ctx context.Context, log *slog.Logger) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.courier.Run(ctx, d.settings.Outbox.Every); err != nil && ctx.Err() == nil {
			log.Error("ticket courier stopped", "err", err)
		}
	}()
	if err := d.service.RunTimers(ctx, d.settings.Timers.Every, d.settings.Timers.Batch); err != nil && ctx.Err() == nil {
		log.Error("ticket SLA timers stopped", "err", err)
	}
	<-done
}
