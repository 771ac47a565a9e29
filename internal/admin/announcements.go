package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// Desk is the agent desktop as announcements reach it (agentdesk's
// gateway, once it runs).
type Desk interface {
	// Announce shows n on the desks of agentIDs (nil: every agent).
	Announce(n Notice, agentIDs []string)
	// Withdraw takes announcement id off the desks.
	Withdraw(id string, agentIDs []string)
}

// Notice is an announcement as the desk shows it.
type Notice struct {
	ID        string     `json:"id"`
	Text      string     `json:"text"`
	Team      string     `json:"team,omitempty"` // "": every agent
	Severity  string     `json:"severity"`       // info or outage
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Acked     bool       `json:"acked"`
}

// AnnouncementView is an announcement as administration shows it.
type AnnouncementView struct {
	ID          string     `json:"id"`
	Text        string     `json:"text"`
	Team        string     `json:"team"`
	Severity    string     `json:"severity"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
	Live        bool       `json:"live"`
	Acked       int        `json:"acked"`              // agents who acknowledged it
	Acks        []AckView  `json:"acks,omitempty"`     // one announcement: who and when
	Pending     []string   `json:"pending,omitempty"`  // one announcement: logins still to acknowledge
	Recipients  int        `json:"recipients"`         // enabled agents it is meant for
	Warnings    []Warning  `json:"warnings,omitempty"` // e.g. a team nobody is in
	// IVR, when set, makes the announcement an IVR notice too.
	IVR *IVRNotice `json:"ivr,omitempty"`
}

// IVRNotice says which customers hear an announcement at the start of the
// main flow (voice: the recorded outage notice; chat: its text). Empty
// lists match everyone.
type IVRNotice struct {
	// Areas are number prefixes the customer's number starts with: an area
	// code ("020", "0755") or a mobile number block ("139", "1380013").
	Areas []string `json:"areas"`
	// Products are the kinds of number the notice is for: "mobile"
	// (1[3-9] and nine digits), "landline" (any other number).
	Products []string `json:"products"`
}

func (v AnnouncementView) etagVersion() int64 { return 1 }

// AckView is one acknowledgement.
type AckView struct {
	AgentID string    `json:"agent_id"`
	Login   string    `json:"login"`
	AckedAt time.Time `json:"acked_at"`
}

type announcementInput struct {
	Text      string     `json:"text"`
	Team      string     `json:"team"`
	Severity  string     `json:"severity"`
	ExpiresAt *time.Time `json:"expires_at"`
	IVR       *IVRNotice `json:"ivr"`
}

var areaPrefix = regexp.MustCompile(`^[0-9]{1,12}$`)

func validIVRNotice(n *IVRNotice) error {
	if len(n.Areas) > 100 || len(n.Products) > 2 {
		return badField("ivr", "at most 100 areas and the 2 products")
	}
	for i, a := range n.Areas {
		if !areaPrefix.MatchString(a) {
			return badField(fmt.Sprintf("ivr.areas[%d]", i), "1–12 digits: an area code or a number block")
		}
	}
	for i, p := range n.Products {
		if p != "mobile" && p != "landline" {
			return badField(fmt.Sprintf("ivr.products[%d]", i), "mobile or landline")
		}
	}
	if n.Areas == nil {
		n.Areas = []string{}
	}
	if n.Products == nil {
		n.Products = []string{}
	}
	return nil
}

func (a *API) announcementRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/announcements", h(auth.PermSupervise, a.listAnnouncements))
	mux.Handle("POST /api/v1/admin/announcements", h(auth.PermSupervise, a.createAnnouncement))
	mux.Handle("GET /api/v1/admin/announcements/{id}", h(auth.PermSupervise, a.getAnnouncement))
	mux.Handle("POST /api/v1/admin/announcements/{id}/withdraw", h(auth.PermSupervise, a.withdrawAnnouncement))
	// The agent's side: what the desk shows, and the acknowledgement.
	mux.Handle("GET /api/v1/announcements", h(auth.PermDesk, a.myAnnouncements))
	mux.Handle("POST /api/v1/announcements/{id}/ack", h(auth.PermDesk, a.ackAnnouncement))
}

// SetDesk hands the API the agent desktop once it runs.
func (a *API) SetDesk(d Desk) { a.desk.Store(&deskBox{d: d}) }

type deskBox struct{ d Desk }

func (a *API) deskOrNil() Desk {
	if b := a.desk.Load(); b != nil {
		return b.d
	}
	return nil
}

// recipients lists the enabled agents an announcement to team reaches
// ("": every agent).
func (a *API) recipients(ctx context.Context, st *store.Store, team string) ([]store.Agent, error) {
	var out []store.Agent
	after := ""
	for {
		page, err := st.AgentsPaged(ctx, store.AgentPage{After: after, Team: team, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, ag := range page {
			if !ag.Disabled {
				out = append(out, ag)
			}
		}
		if len(page) < 500 {
			return out, nil
		}
		after = page[len(page)-1].Login
	}
}

// mayAnnounce: an admin to anyone, a supervisor to a team of theirs.
func (a *API) mayAnnounce(ctx context.Context, p auth.Principal, team string) error {
	if p.Can(auth.PermConfigure) {
		return nil
	}
	if team == "" {
		return &fieldError{Field: "team", Status: http.StatusForbidden, Code: "forbidden",
			Message: "a supervisor announces to a team of theirs: name it"}
	}
	teams, err := a.o.Store.AgentTeams(ctx, p.AgentID)
	if err != nil {
		return err
	}
	if !slices.Contains(teams, team) {
		return &fieldError{Field: "team", Status: http.StatusForbidden, Code: "forbidden",
			Message: "not one of your teams"}
	}
	return nil
}

func (a *API) announcementView(ctx context.Context, st *store.Store, id string) (AnnouncementView, error) {
	an, err := st.Announcement(ctx, id)
	if err != nil {
		return AnnouncementView{}, err
	}
	return a.announcementViewOf(ctx, st, an, true)
}

func (a *API) announcementViewOf(ctx context.Context, st *store.Store, an store.Announcement, detail bool) (AnnouncementView, error) {
	v := AnnouncementView{ID: an.ID, Text: an.Text, Team: an.Team, Severity: an.Severity, CreatedBy: an.CreatedBy,
		CreatedAt: an.CreatedAt, ExpiresAt: an.ExpiresAt, WithdrawnAt: an.WithdrawnAt, Live: an.Live(a.o.Now())}
	if an.IVR != "" {
		v.IVR = &IVRNotice{}
		if err := json.Unmarshal([]byte(an.IVR), v.IVR); err != nil {
			return v, fmt.Errorf("announcement %s ivr notice: %w", an.ID, err)
		}
	}
	acks, err := st.AnnouncementAcks(ctx, an.ID)
	if err != nil {
		return v, err
	}
	to, err := a.recipients(ctx, st, an.Team)
	if err != nil {
		return v, err
	}
	v.Acked, v.Recipients = len(acks), len(to)
	if v.Recipients == 0 {
		v.Warnings = []Warning{{Code: WarnTeamHasNoAgents, Field: "team", Message: "no enabled agent is in this team: nobody sees it"}}
	}
	if !detail {
		return v, nil
	}
	login := map[string]string{}
	for _, ag := range to {
		login[ag.ID] = ag.Login
	}
	acked := map[string]bool{}
	v.Acks = []AckView{}
	for _, k := range acks {
		acked[k.AgentID] = true
		l := login[k.AgentID]
		if l == "" {
			if ag, err := st.Agent(ctx, k.AgentID); err == nil {
				l = ag.Login
			}
		}
		v.Acks = append(v.Acks, AckView{AgentID: k.AgentID, Login: l, AckedAt: k.AckedAt})
	}
	v.Pending = []string{}
	for _, ag := range to {
		if !acked[ag.ID] {
			v.Pending = append(v.Pending, ag.Login)
		}
	}
	return v, nil
}

func (a *API) listAnnouncements(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ans, err := a.o.Store.Announcements(ctx, after, limit+1)
	if err != nil {
		return err
	}
	out := struct {
		Announcements []AnnouncementView `json:"announcements"`
		Next          string             `json:"next,omitempty"`
	}{Announcements: []AnnouncementView{}}
	for i, an := range ans {
		if i == limit {
			out.Next = ans[i-1].ID
			break
		}
		v, err := a.announcementViewOf(ctx, a.o.Store, an, false)
		if err != nil {
			return err
		}
		out.Announcements = append(out.Announcements, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getAnnouncement(w http.ResponseWriter, r *http.Request) error {
	v, err := a.announcementView(r.Context(), a.o.Store, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) createAnnouncement(w http.ResponseWriter, r *http.Request) error {
	var in announcementInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	in.Text, in.Team = strings.TrimSpace(in.Text), strings.TrimSpace(in.Team)
	now := a.o.Now()
	switch n := utf8.RuneCountInString(in.Text); {
	case n == 0 || n > 2000:
		return badField("text", "1–2000 characters")
	case len(in.Team) > 64:
		return badField("team", "at most 64 characters")
	case in.Severity != "" && in.Severity != "info" && in.Severity != "outage":
		return badField("severity", "info or outage")
	case in.ExpiresAt != nil && !in.ExpiresAt.After(now):
		return badField("expires_at", "in the future")
	}
	if in.Severity == "" {
		in.Severity = "info"
	}
	ivrJSON := ""
	if in.IVR != nil {
		// Customers hear it: an administrator's decision.
		if !p.Can(auth.PermConfigure) {
			return &fieldError{Field: "ivr", Status: http.StatusForbidden, Code: "forbidden", Message: "only an administrator sends a notice to customers"}
		}
		if err := validIVRNotice(in.IVR); err != nil {
			return err
		}
		ivrJSON = string(raw(in.IVR))
	}
	if err := a.mayAnnounce(ctx, p, in.Team); err != nil {
		return err
	}
	key, done, err := replay(a, w, r, "announcement", func(ctx context.Context, st *store.Store, id string) (AnnouncementView, error) {
		return a.announcementView(ctx, st, id)
	})
	if done || err != nil {
		return err
	}
	var view AnnouncementView
	var to []store.Agent
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		an, err := tx.CreateAnnouncement(ctx, store.Announcement{Text: in.Text, Team: in.Team, Severity: in.Severity,
			CreatedBy: actor(r), CreatedAt: now, ExpiresAt: in.ExpiresAt, IVR: ivrJSON})
		if err != nil {
			return err
		}
		if err := a.claim(ctx, tx, r, key, "announcement", an.ID); err != nil {
			return err
		}
		if view, err = a.announcementViewOf(ctx, tx, an, false); err != nil {
			return err
		}
		if to, err = a.recipients(ctx, tx, in.Team); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.announcement.create", kind: "announcement", id: an.ID, aft: view})
	})
	if err != nil {
		return err
	}
	if d := a.deskOrNil(); d != nil {
		d.Announce(Notice{ID: view.ID, Text: view.Text, Team: view.Team, Severity: view.Severity,
			CreatedAt: view.CreatedAt, ExpiresAt: view.ExpiresAt}, agentIDs(in.Team, to))
	}
	if in.IVR != nil {
		a.reloadNotices(ctx)
	}
	return writeJSON(w, http.StatusCreated, view)
}

// agentIDs are the desks an announcement to team goes to (nil: all).
func agentIDs(team string, to []store.Agent) []string {
	if team == "" {
		return nil
	}
	ids := make([]string, 0, len(to))
	for _, ag := range to {
		ids = append(ids, ag.ID)
	}
	return ids
}

func (a *API) withdrawAnnouncement(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), r.PathValue("id")
	an, err := a.o.Store.Announcement(ctx, id)
	if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(ctx)
	if err := a.mayAnnounce(ctx, p, an.Team); err != nil {
		return err
	}
	var view AnnouncementView
	var to []store.Agent
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := a.announcementViewOf(ctx, tx, an, false)
		if err != nil {
			return err
		}
		if err := tx.WithdrawAnnouncement(ctx, id, a.o.Now()); err != nil {
			return err
		}
		if view, err = a.announcementView(ctx, tx, id); err != nil {
			return err
		}
		if to, err = a.recipients(ctx, tx, an.Team); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.announcement.withdraw", kind: "announcement", id: id, before: before, aft: view})
	})
	if err != nil {
		return err
	}
	if d := a.deskOrNil(); d != nil {
		d.Withdraw(id, agentIDs(an.Team, to))
	}
	if an.IVR != "" {
		a.reloadNotices(ctx)
	}
	return writeJSON(w, http.StatusOK, view)
}

// myAnnouncements lists what the desk shows the signed-in agent: the live
// announcements to everyone or to one of the agent's teams, oldest first,
// each with whether the agent acknowledged it.
func (a *API) myAnnouncements(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	out := struct {
		Announcements []Notice `json:"announcements"`
	}{Announcements: []Notice{}}
	if p.AgentID == "" {
		return writeJSON(w, http.StatusOK, out)
	}
	mine, err := a.noticesFor(ctx, p.AgentID)
	if err != nil {
		return err
	}
	out.Announcements = mine
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) noticesFor(ctx context.Context, agentID string) ([]Notice, error) {
	teams, err := a.o.Store.AgentTeams(ctx, agentID)
	if err != nil {
		return nil, err
	}
	live, err := a.o.Store.LiveAnnouncements(ctx, a.o.Now())
	if err != nil {
		return nil, err
	}
	acked, err := a.o.Store.AckedAnnouncements(ctx, agentID)
	if err != nil {
		return nil, err
	}
	out := []Notice{}
	for _, an := range live {
		if an.Team != "" && !slices.Contains(teams, an.Team) {
			continue
		}
		out = append(out, Notice{ID: an.ID, Text: an.Text, Team: an.Team, Severity: an.Severity,
			CreatedAt: an.CreatedAt, ExpiresAt: an.ExpiresAt, Acked: acked[an.ID]})
	}
	return out, nil
}

// ackAnnouncement records the signed-in agent's acknowledgement of a live
// announcement meant for them (404 otherwise); acknowledging twice is
// harmless.
func (a *API) ackAnnouncement(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), r.PathValue("id")
	p, _ := auth.PrincipalFrom(ctx)
	if p.AgentID == "" {
		return fmt.Errorf("%w: only an agent acknowledges", ErrForbidden)
	}
	mine, err := a.noticesFor(ctx, p.AgentID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(mine, func(n Notice) bool { return n.ID == id }) {
		return store.ErrNotFound
	}
	if err := a.o.Store.AckAnnouncement(ctx, id, p.AgentID, a.o.Now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
