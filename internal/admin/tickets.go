package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// TicketSettings are the ticket desk's settings administration edits: the
// keys of the settings file (tickets.settings_file) an operator changes
// day to day. The rest of the file (calendars, timers, outbox, people's
// addresses, notification adapters) stays the file's. The wire form is
// JSON with the file's key names and durations as Go durations ("4h").
type TicketSettings struct {
	// Groups are the back offices tickets are dispatched to: each pools its
	// tickets for its members (logins) and has a lead (a login) whom
	// warnings, breaches and escalations go to.
	Groups     []TicketGroup    `yaml:"groups"`
	Categories []string         `yaml:"categories"`
	Rules      []ticket.Rule    `yaml:"rules"`
	SLA        ticket.SLAConfig `yaml:"sla"`
	Templates  ticket.Templates `yaml:"templates"`
}

// TicketGroup is one group and its people.
type TicketGroup struct {
	Name    string   `yaml:"name"`
	Lead    string   `yaml:"lead"`
	Members []string `yaml:"members"`
}

// TicketDesk is the node's ticket desk as administration changes it.
type TicketDesk interface {
	// FileSettings are the settings file's (or the demo's, or the
	// defaults') values of the administered keys.
	FileSettings() TicketSettings
	// Check validates s as Apply would; the error's text starts with the
	// field ("rules[0].group: …").
	Check(s TicketSettings) error
	// Apply makes s serve at once (nil: the file's settings again).
	Apply(ctx context.Context, s *TicketSettings) error
}

// TicketSettingsView is what GET answers.
type TicketSettingsView struct {
	Settings json.RawMessage `json:"settings"`
	// Source is "administered" once saved through the API, else "file".
	Source    string     `json:"source"`
	Version   int64      `json:"version"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func (v TicketSettingsView) version() int64 { return v.Version }

const ticketSettingsID = "tickets"

func (a *API) ticketRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/ticket-settings", h(auth.PermSupervise, a.getTicketSettings))
	mux.Handle("PUT /api/v1/admin/ticket-settings", h(auth.PermConfigure, a.putTicketSettings))
	mux.Handle("DELETE /api/v1/admin/ticket-settings", h(auth.PermConfigure, a.deleteTicketSettings))
}

// SetTickets hands the API the node's ticket desk.
func (a *API) SetTickets(d TicketDesk) { a.tickets.Store(&ticketsBox{d: d}) }

type ticketsBox struct{ d TicketDesk }

func (a *API) ticketDesk() TicketDesk {
	if b := a.tickets.Load(); b != nil {
		return b.d
	}
	return nil
}

// wireJSON writes settings in the wire form: through YAML, so durations
// read as "4h0m0s" and keys as the settings file names them.
func wireJSON(s TicketSettings) (json.RawMessage, error) {
	y, err := yaml.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m any
	if err := yaml.Unmarshal(y, &m); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// ParseTicketSettings reads the wire form (JSON, which is YAML); unknown
// keys are errors.
func ParseTicketSettings(b []byte) (TicketSettings, error) {
	var s TicketSettings
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return s, err
	}
	return s, nil
}

// StoredTicketSettings returns the administered ticket settings, if any
// (the node applies them at start).
func StoredTicketSettings(ctx context.Context, st *store.Store) (*TicketSettings, error) {
	row, err := st.Settings(ctx, ticketSettingsID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := ParseTicketSettings([]byte(row.Body))
	if err != nil {
		return nil, fmt.Errorf("stored ticket settings: %w", err)
	}
	return &s, nil
}

func (a *API) ticketSettingsView(ctx context.Context, st *store.Store) (TicketSettingsView, error) {
	row, err := st.Settings(ctx, ticketSettingsID)
	switch {
	case err == nil:
		at := row.UpdatedAt
		return TicketSettingsView{Settings: json.RawMessage(row.Body), Source: "administered", Version: row.Version, UpdatedAt: &at}, nil
	case !errors.Is(err, store.ErrNotFound):
		return TicketSettingsView{}, err
	}
	d := a.ticketDesk()
	if d == nil {
		return TicketSettingsView{}, fmt.Errorf("%w: no ticket desk on this node", store.ErrNotFound)
	}
	body, err := wireJSON(d.FileSettings())
	return TicketSettingsView{Settings: body, Source: "file"}, err
}

func (a *API) getTicketSettings(w http.ResponseWriter, r *http.Request) error {
	v, err := a.ticketSettingsView(r.Context(), a.o.Store)
	if err != nil {
		return err
	}
	if v.Version > 0 {
		w.Header().Set("ETag", etag(v.Version))
	}
	return writeJSON(w, http.StatusOK, v)
}

// validateTicketSettings checks what the desk does not: the groups' names
// and people, the categories, and that rules and escalations name groups.
func (a *API) validateTicketSettings(ctx context.Context, s TicketSettings) error {
	groups := map[string]bool{}
	for i, g := range s.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		if !queueID.MatchString(g.Name) {
			return badField(f+".name", "1–64 lower-case letters, digits, '.', '-' or '_'")
		}
		if groups[g.Name] {
			return badField(f+".name", "%q listed twice", g.Name)
		}
		groups[g.Name] = true
		people := append([]string{g.Lead}, g.Members...)
		for j, login := range people {
			pf := f + ".lead"
			if j > 0 {
				pf = fmt.Sprintf("%s.members[%d]", f, j-1)
			}
			if login == "" && j == 0 {
				continue // a group without a lead
			}
			if _, err := a.o.Store.AgentByLogin(ctx, login); errors.Is(err, store.ErrNotFound) {
				return badField(pf, "no agent has the login %q", login)
			} else if err != nil {
				return err
			}
		}
	}
	seen := map[string]bool{}
	for i, c := range s.Categories {
		if n := utf8.RuneCountInString(c); n == 0 || n > 64 || strings.TrimSpace(c) != c || seen[c] {
			return badField(fmt.Sprintf("categories[%d]", i), "1–64 characters without surrounding spaces, each once")
		}
		seen[c] = true
	}
	if len(s.Groups) > 0 {
		for i, r := range s.Rules {
			if r.Group != "" && !groups[r.Group] {
				return badField(fmt.Sprintf("rules[%d].group", i), "unknown group %q (add it under groups)", r.Group)
			}
		}
		for i, e := range s.SLA.Escalation {
			if e.MoveTo != "" && !groups[e.MoveTo] {
				return badField(fmt.Sprintf("sla.escalation[%d].move_to", i), "unknown group %q (add it under groups)", e.MoveTo)
			}
		}
	}
	if d := a.ticketDesk(); d != nil {
		if err := d.Check(s); err != nil {
			msg := strings.TrimPrefix(err.Error(), "tickets.")
			field, reason, ok := strings.Cut(msg, ": ")
			if !ok || strings.ContainsAny(field, " \n") {
				field, reason = "settings", msg
			}
			return badField(field, "%s", reason)
		}
	}
	return nil
}

func (a *API) putTicketSettings(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, a.o.MaxBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return &fieldError{Field: "body", Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Message: err.Error()}
	}
	var envelope struct {
		Settings json.RawMessage `json:"settings"`
	}
	// The body is either the settings or {"settings": …} as GET answers.
	if err := json.Unmarshal(body, &envelope); err == nil && len(envelope.Settings) > 0 {
		body = envelope.Settings
	}
	s, err := ParseTicketSettings(body)
	if err != nil {
		return &fieldError{Field: "body", Code: "invalid_request", Message: strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := a.validateTicketSettings(ctx, s); err != nil {
		return err
	}
	stored, err := wireJSON(s)
	if err != nil {
		return err
	}
	now := a.o.Now()
	created := false
	var after TicketSettingsView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := a.ticketSettingsView(ctx, tx)
		if err != nil {
			return err
		}
		action := "admin.ticket_settings.update"
		if before.Source != "administered" {
			if want != 0 {
				return fmt.Errorf("ticket settings: %w", store.ErrStale)
			}
			created, action = true, "admin.ticket_settings.create"
			if _, err := tx.CreateSettings(ctx, ticketSettingsID, string(stored), now); err != nil {
				return err
			}
		} else {
			if _, err := tx.BumpVersion(ctx, store.VersionedSettings, ticketSettingsID, want, now); err != nil {
				return err
			}
			if err := tx.SetSettingsBody(ctx, ticketSettingsID, string(stored), now); err != nil {
				return err
			}
		}
		if after, err = a.ticketSettingsView(ctx, tx); err != nil {
			return err
		}
		if err := a.record(ctx, tx, r, change{action: action, kind: "ticket_settings", id: ticketSettingsID, before: before, aft: after}); err != nil {
			return err
		}
		// Last, so a refusal leaves the store as it was.
		if d := a.ticketDesk(); d != nil {
			if err := d.Apply(ctx, &s); err != nil {
				return fmt.Errorf("apply ticket settings: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(after.Version))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, after)
}

// deleteTicketSettings hands the ticket desk back to the settings file.
func (a *API) deleteTicketSettings(w http.ResponseWriter, r *http.Request) error {
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		if _, err := tx.BumpVersion(ctx, store.VersionedSettings, ticketSettingsID, want, a.o.Now()); err != nil {
			return err
		}
		before, err := a.ticketSettingsView(ctx, tx)
		if err != nil {
			return err
		}
		before.Version--
		if err := tx.DeleteSettings(ctx, ticketSettingsID); err != nil {
			return err
		}
		if err := a.record(ctx, tx, r, change{action: "admin.ticket_settings.delete", kind: "ticket_settings", id: ticketSettingsID, before: before}); err != nil {
			return err
		}
		if d := a.ticketDesk(); d != nil {
			if err := d.Apply(ctx, nil); err != nil {
				return fmt.Errorf("apply the file's ticket settings: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GroupNames lists the groups by name.
func (s TicketSettings) GroupNames() []string {
	out := make([]string, 0, len(s.Groups))
	for _, g := range s.Groups {
		out = append(out, g.Name)
	}
	slices.Sort(out)
	return out
}
