package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// QueueRouter is the part of the running ACD that queue changes reach
// (*acd.Engine).
type QueueRouter interface {
	SetQueue(ctx context.Context, q acd.Queue) error
	RemoveQueue(ctx context.Context, id string) error
	Agents(ctx context.Context) ([]acd.AgentStatus, error)
}

// QueueRouting is how a queue routes, beyond its skills and service level.
// It is stored as JSON (queues.routing).
type QueueRouting struct {
	// Weight adds to every contact's priority when an agent serving several
	// queues chooses between them (±1000).
	Weight int `json:"weight"`
	// Selection picks among ready agents: best_proficiency (default),
	// longest_idle, fewest_contacts, round_robin, least_occupied.
	Selection string `json:"selection,omitempty"`
	// OnMaxWait is what reaching max_wait_seconds does: ticket (default: a
	// message that becomes a ticket), hangup, overflow (to overflow_to),
	// callback, voicemail.
	OnMaxWait  string `json:"on_max_wait,omitempty"`
	OverflowTo string `json:"overflow_to,omitempty"`
	// JoinEmpty keeps contacts waiting while no eligible agent is logged in.
	JoinEmpty bool        `json:"join_empty"`
	Steps     []QueueStep `json:"steps"`
	// WrapUpSeconds, when set, is the after-contact work time of contacts
	// served from this queue (0: none) instead of acd.wrap_up.
	WrapUpSeconds *int `json:"wrap_up_seconds,omitempty"`
	// Calendar names an administered calendar: outside its open hours the
	// queue takes no new contacts (the flow's message target, else error).
	Calendar string `json:"calendar,omitempty"`
	// Record, when set, says whether the queue's calls are recorded,
	// instead of phones.record_queues (which stays the default of queues
	// without it). phones.record off records nothing whatever this says.
	Record *bool `json:"record,omitempty"`
}

// Recorded reports whether calls of the queue are recorded: its own
// setting, else def (phones.record_queues' answer for the queue).
func (r QueueRouting) Recorded(def bool) bool {
	if r.Record != nil {
		return *r.Record
	}
	return def
}

// QueueStep relaxes a queue's requirements after a wait, or overflows.
type QueueStep struct {
	AfterSeconds   int          `json:"after_seconds"`
	MinProficiency int          `json:"min_proficiency,omitempty"`
	AddSkills      []QueueSkill `json:"add_skills,omitempty"`
	OverflowTo     string       `json:"overflow_to,omitempty"`
}

// QueueSkill is a skill a queue requires with its least proficiency.
type QueueSkill struct {
	Skill          string `json:"skill"`
	MinProficiency int    `json:"min_proficiency"`
}

// QueueView is a queue as administration shows it.
type QueueView struct {
	ID                 string       `json:"id"`
	Name               string       `json:"name"`
	Channel            string       `json:"channel"`
	Skills             []QueueSkill `json:"skills"`
	SLThresholdSeconds int          `json:"sl_threshold_seconds"`
	SLTargetPercent    int          `json:"sl_target_percent"`
	MaxWaitSeconds     int          `json:"max_wait_seconds"`
	QueueRouting
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Warnings are accepted settings that look wrong (a queue no agent can serve).
	Warnings []Warning `json:"warnings,omitempty"`
}

// queueInput is the body of a creation (with id) and of a replacement.
type queueInput struct {
	ID                 string       `json:"id"`
	Name               string       `json:"name"`
	Channel            string       `json:"channel"`
	Skills             []QueueSkill `json:"skills"`
	SLThresholdSeconds int          `json:"sl_threshold_seconds"`
	SLTargetPercent    int          `json:"sl_target_percent"`
	MaxWaitSeconds     int          `json:"max_wait_seconds"`
	QueueRouting
}

func (a *API) queueRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/queues", h(auth.PermSupervise, a.listQueues))
	mux.Handle("POST /api/v1/admin/queues", h(auth.PermConfigure, a.createQueue))
	mux.Handle("GET /api/v1/admin/queues/{id}", h(auth.PermSupervise, a.getQueue))
	mux.Handle("PUT /api/v1/admin/queues/{id}", h(auth.PermConfigure, a.putQueue))
	mux.Handle("DELETE /api/v1/admin/queues/{id}", h(auth.PermConfigure, a.deleteQueue))
}

// ParseRouting reads a queue's stored routing settings ("" or "{}": defaults).
func ParseRouting(s string) (QueueRouting, error) {
	var r QueueRouting
	if strings.TrimSpace(s) == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("queue routing: %w", err)
	}
	return r, nil
}

// ACDQueue is the router's form of a stored queue and its routing settings.
// cals answers the queue's opening calendar (nil: always open); a calendar
// it does not have (deleted) leaves the queue open.
func ACDQueue(q store.Queue, rt QueueRouting, cals *calendar.Set) (acd.Queue, error) {
	aq := acd.Queue{ID: q.ID, Channel: acd.Voice, SLThreshold: q.SLThreshold, SLTarget: float64(q.SLTargetPercent) / 100,
		MaxWait: q.MaxWait, Weight: rt.Weight, OverflowTo: rt.OverflowTo, JoinEmpty: rt.JoinEmpty,
		// A customer who waited the longest allowed leaves a message that
		// becomes a ticket, rather than being cut off.
		OnMaxWait: acd.Ticket}
	if q.Channel == store.Chat {
		aq.Channel = acd.Chat
	}
	if rt.OnMaxWait != "" {
		if err := aq.OnMaxWait.UnmarshalText([]byte(rt.OnMaxWait)); err != nil {
			return aq, &fieldError{Field: "on_max_wait", Message: "hangup, overflow, callback, voicemail or ticket"}
		}
	}
	if rt.Selection != "" {
		if err := aq.Selection.UnmarshalText([]byte(rt.Selection)); err != nil {
			return aq, &fieldError{Field: "selection", Message: "best_proficiency, longest_idle, fewest_contacts, round_robin or least_occupied"}
		}
	}
	for _, s := range q.Skills {
		aq.Skills = append(aq.Skills, acd.Requirement{Skill: s.Skill, Min: s.MinProficiency})
	}
	if rt.WrapUpSeconds != nil {
		d := time.Duration(*rt.WrapUpSeconds) * time.Second
		aq.WrapUp = &d
	}
	if name := rt.Calendar; name != "" && cals != nil {
		aq.Open = func(t time.Time) bool {
			c, ok := cals.Get(name)
			return !ok || c.IsOpen(t)
		}
	}
	for _, st := range rt.Steps {
		s := acd.Step{After: time.Duration(st.AfterSeconds) * time.Second, MinProficiency: st.MinProficiency, OverflowTo: st.OverflowTo}
		for _, r := range st.AddSkills {
			s.AddSkills = append(s.AddSkills, acd.Requirement{Skill: r.Skill, Min: r.MinProficiency})
		}
		aq.Steps = append(aq.Steps, s)
	}
	return aq, nil
}

// LoadQueues reads every queue for the router (the node's start); cals is
// the node's administered calendars (opening calendars; nil: always open).
func LoadQueues(ctx context.Context, st *store.Store, cals *calendar.Set) ([]acd.Queue, error) {
	qs, err := st.Queues(ctx)
	if err != nil {
		return nil, err
	}
	routings, err := st.QueueRoutings(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acd.Queue, 0, len(qs))
	for _, q := range qs {
		rt, err := ParseRouting(routings[q.ID])
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.ID, err)
		}
		aq, err := ACDQueue(q, rt, cals)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.ID, err)
		}
		out = append(out, aq)
	}
	return out, nil
}

func (a *API) queueView(ctx context.Context, st *store.Store, id string) (QueueView, error) {
	q, err := st.Queue(ctx, id)
	if err != nil {
		return QueueView{}, err
	}
	return a.queueViewOf(ctx, st, q)
}

func (a *API) queueViewOf(ctx context.Context, st *store.Store, q store.Queue) (QueueView, error) {
	v := QueueView{ID: q.ID, Name: q.Name, Channel: string(q.Channel), Skills: []QueueSkill{},
		SLThresholdSeconds: int(q.SLThreshold / time.Second), SLTargetPercent: q.SLTargetPercent,
		MaxWaitSeconds: int(q.MaxWait / time.Second), CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
	for _, s := range q.Skills {
		v.Skills = append(v.Skills, QueueSkill{Skill: s.Skill, MinProficiency: s.MinProficiency})
	}
	raw, err := st.QueueRouting(ctx, q.ID)
	if err != nil {
		return v, err
	}
	if v.QueueRouting, err = ParseRouting(raw); err != nil {
		return v, err
	}
	if v.Steps == nil {
		v.Steps = []QueueStep{}
	}
	v.Version, err = st.Version(ctx, store.VersionedQueues, q.ID)
	return v, err
}

func (a *API) listQueues(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	qs, err := a.o.Store.Queues(ctx)
	if err != nil {
		return err
	}
	out := struct {
		Queues []QueueView `json:"queues"`
		Next   string      `json:"next,omitempty"`
	}{Queues: []QueueView{}}
	for _, q := range qs {
		if q.ID <= after {
			continue
		}
		if len(out.Queues) == limit {
			out.Next = out.Queues[limit-1].ID
			break
		}
		v, err := a.queueViewOf(ctx, a.o.Store, q)
		if err != nil {
			return err
		}
		out.Queues = append(out.Queues, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getQueue(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, a.o.Store, a.queueView)
}

var queueID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// validateQueue checks in against the other queues (others: every queue
// but this one, as the router has them) and returns the store's and the
// router's form.
func (a *API) validateQueue(ctx context.Context, in queueInput, others []acd.Queue) (store.Queue, acd.Queue, error) {
	q := store.Queue{ID: in.ID, Name: in.Name, Channel: store.Channel(in.Channel),
		SLThreshold: time.Duration(in.SLThresholdSeconds) * time.Second, SLTargetPercent: in.SLTargetPercent,
		MaxWait: time.Duration(in.MaxWaitSeconds) * time.Second}
	switch {
	case !queueID.MatchString(in.ID):
		return q, acd.Queue{}, badField("id", "1–64 lower-case letters, digits, '.', '-' or '_'")
	case utf8.RuneCountInString(strings.TrimSpace(in.Name)) == 0 || utf8.RuneCountInString(in.Name) > 128:
		return q, acd.Queue{}, badField("name", "1–128 characters")
	case in.Channel != "voice" && in.Channel != "chat":
		return q, acd.Queue{}, badField("channel", "voice or chat")
	case len(in.Skills) == 0:
		return q, acd.Queue{}, badField("skills", "at least one skill")
	case in.SLThresholdSeconds < 1 || in.SLThresholdSeconds > 86400:
		return q, acd.Queue{}, badField("sl_threshold_seconds", "from 1 to 86400")
	case in.SLTargetPercent < 1 || in.SLTargetPercent > 100:
		return q, acd.Queue{}, badField("sl_target_percent", "from 1 to 100")
	case in.MaxWaitSeconds < 0 || in.MaxWaitSeconds > 86400:
		return q, acd.Queue{}, badField("max_wait_seconds", "from 0 (no limit) to 86400")
	}
	known, err := a.o.Store.Skills(ctx)
	if err != nil {
		return q, acd.Queue{}, err
	}
	isKnown := func(s string) bool {
		return slices.ContainsFunc(known, func(k store.Skill) bool { return k.Name == s })
	}
	for i, s := range in.Skills {
		if !isKnown(s.Skill) {
			return q, acd.Queue{}, badField(fmt.Sprintf("skills[%d].skill", i), "unknown skill %q (create it under /api/v1/admin/skills first)", s.Skill)
		}
		q.Skills = append(q.Skills, store.QueueSkill{Skill: s.Skill, MinProficiency: s.MinProficiency})
	}
	for i, st := range in.Steps {
		for j, s := range st.AddSkills {
			if !isKnown(s.Skill) {
				return q, acd.Queue{}, badField(fmt.Sprintf("steps[%d].add_skills[%d].skill", i, j), "unknown skill %q", s.Skill)
			}
		}
	}
	switch {
	case in.WrapUpSeconds != nil && (*in.WrapUpSeconds < 0 || *in.WrapUpSeconds > 86400):
		return q, acd.Queue{}, badField("wrap_up_seconds", "from 0 (none) to 86400, or absent for the center's")
	case in.Calendar != "":
		if _, err := a.o.Store.Calendar(ctx, in.Calendar); errors.Is(err, store.ErrNotFound) {
			return q, acd.Queue{}, badField("calendar", "unknown calendar %q (create it under /api/v1/admin/calendars first)", in.Calendar)
		} else if err != nil {
			return q, acd.Queue{}, err
		}
	}
	aq, err := ACDQueue(q, in.QueueRouting, a.o.Calendars)
	if err != nil {
		return q, aq, err
	}
	// The router's own validation, over every queue: overflow targets,
	// steps that only relax, proficiencies.
	all := append(slices.Clone(others), aq)
	if _, err := acd.NewRouter(acd.DefaultConfig(), all); err != nil {
		var ce *acd.ConfigError
		if errors.As(err, &ce) {
			return q, aq, badField(requestField(ce.Field, in.ID), "%s", ce.Reason)
		}
		return q, aq, err
	}
	if cyc := overflowCycle(all, in.ID); cyc != nil {
		return q, aq, badField("overflow_to", "overflow chain %s is a cycle", strings.Join(cyc, " → "))
	}
	return q, aq, nil
}

// requestField turns the router's field ("queues[billing].steps[0].after")
// into the request's ("steps[0].after_seconds").
func requestField(f, id string) string {
	f = strings.TrimPrefix(f, "queues["+id+"].")
	f = strings.ReplaceAll(f, ".min", ".min_proficiency")
	switch {
	case strings.HasSuffix(f, ".after"):
		f += "_seconds"
	case f == "sl_threshold":
		f = "sl_threshold_seconds"
	case f == "sl_target":
		f = "sl_target_percent"
	case f == "max_wait":
		f = "max_wait_seconds"
	}
	return strings.Replace(f, ".min_proficiency_proficiency", ".min_proficiency", 1)
}

// overflowCycle returns the overflow chain from queue id back to itself,
// if any (an overflow or a last step sending contacts round in circles).
func overflowCycle(queues []acd.Queue, id string) []string {
	next := map[string][]string{}
	for _, q := range queues {
		if q.OverflowTo != "" {
			next[q.ID] = append(next[q.ID], q.OverflowTo)
		}
		for _, s := range q.Steps {
			if s.OverflowTo != "" {
				next[q.ID] = append(next[q.ID], s.OverflowTo)
			}
		}
	}
	var path []string
	seen := map[string]bool{}
	var walk func(q string) bool
	walk = func(q string) bool {
		path = append(path, q)
		if q == id && len(path) > 1 {
			return true
		}
		if seen[q] {
			path = path[:len(path)-1]
			return false
		}
		seen[q] = true
		for _, n := range next[q] {
			if walk(n) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if walk(id) {
		return path
	}
	return nil
}

// othersThan returns the router's form of every stored queue but id.
func othersThan(ctx context.Context, st *store.Store, id string) ([]acd.Queue, error) {
	all, err := LoadQueues(ctx, st, nil)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(q acd.Queue) bool { return q.ID == id }), nil
}

// queueWarnings names settings of q that are accepted but look wrong;
// others are the other queues.
func (a *API) queueWarnings(ctx context.Context, st *store.Store, q acd.Queue, others []acd.Queue) ([]Warning, error) {
	var out []Warning
	served, err := someAgentFits(ctx, st, q)
	if err != nil {
		return nil, err
	}
	if !served {
		out = append(out, Warning{Code: WarnNoAgentHasSkills, Field: "skills",
			Message: "no enabled agent has the skills this queue requires: contacts will wait for nobody"})
	}
	if a.unreached(q.ID, others) {
		out = append(out, Warning{Code: WarnNoFlowLeadsHere, Field: "id",
			Message: "no flow that serves transfers to this queue and no queue overflows to it: only an agent's transfer brings contacts here"})
	}
	return out, nil
}

// someAgentFits reports whether an enabled agent qualifies for q.
func someAgentFits(ctx context.Context, st *store.Store, q acd.Queue) (bool, error) {
	ags, err := st.Agents(ctx)
	if err != nil {
		return false, err
	}
	for _, ag := range ags {
		if ag.Disabled {
			continue
		}
		sks, err := st.AgentSkills(ctx, ag.ID)
		if err != nil {
			return false, err
		}
		have := map[string]int{}
		for _, s := range sks {
			have[s.Skill] = s.Proficiency
		}
		if fits(q, have) {
			return true, nil
		}
	}
	return false, nil
}

// ServingFlows is a Flows that also hands out the library serving now:
// with it, a queue no flow transfers to is warned about.
type ServingFlows interface {
	Library() *ivr.Library
}

// unreached reports whether nothing routes to queue id: no node of the
// serving flows transfers to it and no other queue overflows to it (false
// when the flows are not known).
func (a *API) unreached(id string, others []acd.Queue) bool {
	sf, ok := a.o.Flows.(ServingFlows)
	if !ok {
		return false
	}
	lib := sf.Library()
	if lib == nil {
		return false
	}
	for _, name := range lib.Flows() {
		f, _ := lib.Flow(name)
		for _, n := range f.Nodes {
			if n.Queue == id {
				return false
			}
		}
	}
	for _, q := range others {
		if q.OverflowTo == id {
			return false
		}
		for _, s := range q.Steps {
			if s.OverflowTo == id {
				return false
			}
		}
	}
	return true
}

// fits reports whether an agent with skills qualifies for q at its most
// relaxed step.
func fits(q acd.Queue, skills map[string]int) bool {
	base := slices.Clone(q.Skills)
	var alts []acd.Requirement
	for _, s := range q.Steps {
		if s.MinProficiency != 0 {
			for i := range base {
				base[i].Min = min(base[i].Min, s.MinProficiency)
			}
		}
		alts = append(alts, s.AddSkills...)
	}
	all := true
	for _, r := range base {
		if skills[r.Skill] < r.Min {
			all = false
		}
	}
	if all {
		return true
	}
	for _, r := range alts {
		if skills[r.Skill] >= r.Min {
			return true
		}
	}
	return false
}

func (a *API) queueRouter() QueueRouter {
	qr, _ := a.router().(QueueRouter)
	return qr
}

func (a *API) createQueue(w http.ResponseWriter, r *http.Request) error {
	var in queueInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	key, done, err := replay(a, w, r, "queue", a.queueView)
	if done || err != nil {
		return err
	}
	return a.saveQueue(w, r, in, key, 0, true)
}

func (a *API) putQueue(w http.ResponseWriter, r *http.Request) error {
	var in queueInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if in.ID == "" {
		in.ID = id
	}
	if in.ID != id {
		return badField("id", "the id of a queue cannot change")
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	return a.saveQueue(w, r, in, "", want, false)
}

// saveQueue creates or replaces a queue in the store and the router in one
// step: the router's refusal rolls the store back.
func (a *API) saveQueue(w http.ResponseWriter, r *http.Request, in queueInput, key string, want int64, create bool) error {
	ctx := r.Context()
	others, err := othersThan(ctx, a.o.Store, in.ID)
	if err != nil {
		return err
	}
	sq, aq, err := a.validateQueue(ctx, in, others)
	if err != nil {
		return err
	}
	routing := raw(in.QueueRouting)
	var before, after QueueView
	now := a.o.Now()
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		action := "admin.queue.update"
		var b any
		if create {
			action = "admin.queue.create"
			if _, err := tx.Queue(ctx, in.ID); err == nil {
				return &fieldError{Field: "id", Status: http.StatusConflict, Code: "already_exists", Message: "a queue " + in.ID + " exists"}
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err := a.claim(ctx, tx, r, key, "queue", in.ID); err != nil {
				return err
			}
		} else {
			v, err := tx.BumpVersion(ctx, store.VersionedQueues, in.ID, want, now)
			if err != nil {
				return err
			}
			if before, err = a.queueView(ctx, tx, in.ID); err != nil {
				return err
			}
			before.Version = v - 1
			b = before
		}
		if err := tx.UpsertQueue(ctx, sq, now); err != nil {
			return err
		}
		if err := tx.SetQueueRouting(ctx, in.ID, string(routing)); err != nil {
			return err
		}
		var err error
		if after, err = a.queueView(ctx, tx, in.ID); err != nil {
			return err
		}
		if err := a.record(ctx, tx, r, change{action: action, kind: "queue", id: in.ID, before: b, aft: after}); err != nil {
			return err
		}
		// Last, so a refusal leaves the store as it was.
		if qr := a.queueRouter(); qr != nil {
			if err := qr.SetQueue(ctx, aq); err != nil {
				if errors.Is(err, acd.ErrInvalidArgument) {
					return &fieldError{Field: "channel", Status: http.StatusConflict, Code: "conflict", Message: "contacts are in this queue: its channel cannot change"}
				}
				return fmt.Errorf("apply queue %s to the acd: %w", in.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.refreshAgentSkills(ctx, r)
	if after.Warnings, err = a.queueWarnings(ctx, a.o.Store, aq, others); err != nil {
		return err
	}
	w.Header().Set("ETag", etag(after.Version))
	if create {
		w.Header().Set("Location", "/api/v1/admin/queues/"+in.ID)
		return writeJSON(w, http.StatusCreated, after)
	}
	return writeJSON(w, http.StatusOK, after)
}

func (a *API) deleteQueue(w http.ResponseWriter, r *http.Request) error {
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	// Refused while another queue overflows to it.
	others, err := othersThan(ctx, a.o.Store, id)
	if err != nil {
		return err
	}
	for _, q := range others {
		uses := q.OverflowTo == id
		for _, s := range q.Steps {
			uses = uses || s.OverflowTo == id
		}
		if uses {
			return &fieldError{Field: "id", Status: http.StatusConflict, Code: "conflict", Message: "queue " + q.ID + " overflows to this queue"}
		}
	}
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		v, err := tx.BumpVersion(ctx, store.VersionedQueues, id, want, a.o.Now())
		if err != nil {
			return err
		}
		before, err := a.queueView(ctx, tx, id)
		if err != nil {
			return err
		}
		before.Version = v - 1
		if err := tx.DeleteQueue(ctx, id); err != nil {
			return err
		}
		if err := a.record(ctx, tx, r, change{action: "admin.queue.delete", kind: "queue", id: id, before: before}); err != nil {
			return err
		}
		if qr := a.queueRouter(); qr != nil {
			if err := qr.RemoveQueue(ctx, id); err != nil && !errors.Is(err, acd.ErrUnknownQueue) {
				if errors.Is(err, acd.ErrInvalidArgument) {
					return &fieldError{Field: "id", Status: http.StatusConflict, Code: "conflict",
						Message: "contacts are waiting in or being served from this queue: move them or wait until it is empty"}
				}
				return fmt.Errorf("remove queue %s from the acd: %w", id, err)
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

// refreshAgentSkills gives logged-in agents the stored skills the router
// now knows (a new queue may use a skill no queue used at their login).
func (a *API) refreshAgentSkills(ctx context.Context, r *http.Request) {
	qr := a.queueRouter()
	rt := a.router()
	if qr == nil || rt == nil {
		return
	}
	live, err := qr.Agents(ctx)
	if err != nil {
		a.o.Logger.Warn("agents not refreshed after a queue change", "err", err)
		return
	}
	known, err := rt.Skills(ctx)
	if err != nil {
		return
	}
	by := actor(r)
	for _, st := range live {
		stored, err := a.o.Store.AgentSkills(ctx, st.Agent)
		if err != nil {
			a.o.Logger.Warn("agent skills not read", "agent_id", st.Agent, "err", err)
			continue
		}
		want := map[string]int{}
		for _, s := range stored {
			if slices.Contains(known, s.Skill) {
				want[s.Skill] = s.Proficiency
			}
		}
		if sameSkills(want, st.Skills) {
			continue
		}
		if err := rt.SetSkills(ctx, by, st.Agent, want); err != nil && !errors.Is(err, acd.ErrUnknownAgent) {
			a.o.Logger.Warn("agent skills not refreshed", "agent_id", st.Agent, "err", err)
		}
	}
}

func sameSkills(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
