package ticket

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"text/template"
	"time"
)

// Config is the desk's configuration.
type Config struct {
	SLA       SLAConfig
	Rules     []Rule              // automatic dispatch, first match wins
	Calendar  Calendar            // default business calendar; required
	Calendars map[string]Calendar // named calendars for policies
	Location  *time.Location      // days of ticket numbers, times in texts; default UTC
	Directory Directory           // staff addresses and group leads; nil = no staff notifications
	Targets   Targets             // the groups and staff tickets may be dispatched to; nil = any name
	Webhooks  []Webhook           // subscribers to ticket events
	Templates Templates           // notification template overrides
	// ServiceCategory is the complaint category meaning "about the hotline's
	// own service" (KPI SQ06). Default "hotline_service".
	ServiceCategory string
	// VisitAfter is the business time after resolution when the return visit
	// falls due. Default 24h.
	VisitAfter time.Duration
	// SurveySMS sends a satisfaction survey SMS when a fault or complaint is
	// resolved, besides scheduling the visit.
	SurveySMS bool
	// Publish receives events after their change committed (the event bus).
	Publish func(Event)
	Logger  *slog.Logger
}

// Service runs the desk: every operation is one repository transaction.
type Service struct {
	repo  Repository
	clock Clock
	cfg   Config
	loc   *time.Location
	log   *slog.Logger
	// pol is what administration may change while the desk runs (SetPolicy):
	// the dispatch rules, the SLA targets and escalation, the templates.
	pol atomic.Pointer[policy]
}

// policy is one version of the desk's changeable settings.
type policy struct {
	rules []Rule
	sla   SLAConfig
	tmpl  map[string]*template.Template
}

func (s *Service) policy() *policy { return s.pol.Load() }

// Templates overrides notification templates: language ("zh", "en") →
// template name ("created", "resolved", …) → text/template source.
type Templates map[string]map[string]string

// SetPolicy replaces the dispatch rules, SLA policies and escalation chain
// and the notification template overrides while the desk runs, after
// validating them as Config does; on an error nothing changes. Tickets
// already open keep their targets and deadlines (ReplanCalendar works them
// out again); new tickets and the next timers follow the new settings.
func (s *Service) SetPolicy(rules []Rule, sla SLAConfig, templates Templates) error {
	p, err := newPolicy(rules, sla, templates, s.cfg.Calendars)
	if err != nil {
		return err
	}
	s.pol.Store(p)
	return nil
}

func newPolicy(rules []Rule, sla SLAConfig, templates Templates, calendars map[string]Calendar) (*policy, error) {
	if err := sla.Validate(calendars); err != nil {
		return nil, err
	}
	if err := validateRules(rules); err != nil {
		return nil, err
	}
	tmpl, err := parseTemplates(templates)
	if err != nil {
		return nil, err
	}
	return &policy{rules: slices.Clone(rules), sla: sla, tmpl: tmpl}, nil
}

// NewService validates cfg and returns a Service.
func NewService(repo Repository, clock Clock, cfg Config) (*Service, error) {
	if repo == nil || clock == nil {
		return nil, errors.New("ticket: repository and clock are required")
	}
	if cfg.Calendar == nil {
		return nil, errors.New("ticket: calendar: required")
	}
	if err := cfg.SLA.Validate(cfg.Calendars); err != nil {
		return nil, fmt.Errorf("ticket: %w", err)
	}
	if err := validateRules(cfg.Rules); err != nil {
		return nil, fmt.Errorf("ticket: %w", err)
	}
	if cfg.ServiceCategory == "" {
		cfg.ServiceCategory = "hotline_service"
	}
	if cfg.VisitAfter == 0 {
		cfg.VisitAfter = 24 * time.Hour
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := &Service{repo: repo, clock: clock, cfg: cfg, loc: loc, log: log}
	p, err := newPolicy(cfg.Rules, cfg.SLA, cfg.Templates, cfg.Calendars)
	if err != nil {
		return nil, fmt.Errorf("ticket: %w", err)
	}
	srv.pol.Store(p)
	return srv, nil
}

// calendar returns the calendar a ticket's SLA is measured in.
func (s *Service) calendar(name string) Calendar {
	if c, ok := s.cfg.Calendars[name]; ok && name != "" {
		return c
	}
	return s.cfg.Calendar
}

func (s *Service) publish(events []Event) {
	if s.cfg.Publish == nil {
		return
	}
	for _, ev := range events {
		s.cfg.Publish(ev)
	}
}

// Create opens a ticket from d. A non-empty idempotency key makes retries
// safe: the same caller with the same key gets the ticket created first
// (replay true); a key reused for a different request gives
// ErrIdempotencyUsed.
func (s *Service) Create(ctx context.Context, actor Actor, d Draft, key string) (t *Ticket, replay bool, err error) {
	if !actor.mayCreate() {
		return nil, false, ErrForbidden
	}
	if err := d.Validate(); err != nil {
		return nil, false, err
	}
	if d.Group != "" || d.Assignee != "" {
		// Choosing the pool or the person is dispatching: the same
		// permission as the dispatch action, to targets that exist.
		if !actor.may(Dispatch, &Ticket{Group: d.Group}) {
			return nil, false, &ForbiddenFieldError{Field: "group", Reason: "dispatching a ticket at creation takes the dispatch permission"}
		}
		var err error
		if d.Group, d.Assignee, err = s.targets(ctx, d.Group, d.Assignee); err != nil {
			return nil, false, err
		}
	}
	if key != "" {
		if err := checkText("idempotency_key", key, 1, maxKey); err != nil {
			return nil, false, err
		}
		// Keys are the caller's: two systems may use the same one.
		key = actor.ID + "/" + key
	}
	now := s.now()
	day := numberDay(now, s.loc)
	seq, err := s.repo.NextSequence(ctx, day)
	if err != nil {
		return nil, false, fmt.Errorf("allocate number: %w", err)
	}
	var fx *effects
	err = s.repo.InTx(ctx, func(tx Tx) error {
		fx = s.effects(actor)
		fx.now = now
		t, replay = nil, false
		if key != "" {
			old, err := tx.ByKey(ctx, key)
			if err == nil {
				if !d.same(old) {
					return ErrIdempotencyUsed
				}
				t, replay = old, true
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		t, err = s.create(ctx, tx, fx, d, key, formatNumber(day, seq))
		return err
	})
	if errors.Is(err, ErrDuplicateKey) {
		// A concurrent request with the same key won the insert.
		err = s.repo.InTx(ctx, func(tx Tx) error {
			old, err := tx.ByKey(ctx, key)
			if err != nil {
				return err
			}
			if !d.same(old) {
				return ErrIdempotencyUsed
			}
			t, replay, fx = old, true, nil
			return nil
		})
	}
	if err != nil {
		return nil, false, err
	}
	if fx != nil && !replay {
		s.publish(fx.events)
		s.log.InfoContext(ctx, "ticket created", "ticket", t.Number, "type", t.Type, "group", t.Group)
	}
	return t, replay, nil
}

func (s *Service) create(ctx context.Context, tx Tx, fx *effects, d Draft, key, number string) (*Ticket, error) {
	now := fx.now
	t := d.ticket()
	t.Status, t.Version, t.CreatedBy, t.CreatedAt, t.UpdatedAt = New, 1, fx.actor.ID, now, now
	t.IdempotencyKey, t.Number = key, number
	pol := s.policy()
	policy, _ := pol.sla.policyFor(t)
	pol.sla.start(t, s.calendar(policy.Calendar), now)

	created := t.Clone()
	routed, how := false, ""
	switch {
	case d.Group != "":
		t.Group, t.Assignee, routed, how = d.Group, d.Assignee, true, "chosen at creation"
	default:
		if r, ok := route(pol.rules, t); ok {
			t.Group, t.Assignee, routed, how = r.Group, r.Assignee, true, "rule "+r.Name
			if t.Assignee != "" && s.cfg.Targets != nil {
				// Rules name people as the settings file does (a login);
				// tickets carry the agent's id.
				id, err := s.cfg.Targets.Agent(ctx, t.Assignee)
				switch {
				case errors.Is(err, ErrNotFound):
					s.log.WarnContext(ctx, "dispatch rule names nobody", "rule", r.Name, "assignee", t.Assignee)
					t.Assignee = ""
				case err != nil:
					return nil, fmt.Errorf("rule %s: assignee: %w", r.Name, err)
				default:
					t.Assignee = id
				}
			}
		}
	}
	action := Pool
	if routed {
		t.Status = Pooled
		if t.Assignee != "" {
			t.Status, action = Assigned, Dispatch
		}
		pol.sla.move(t, New, s.calendar(t.SLA.Calendar), now)
	}
	if err := tx.Create(ctx, t); err != nil {
		return nil, err
	}
	created.ID = t.ID
	fx.record(nil, created, "create", "")
	if routed {
		fx.record(created, t, string(action), how)
	}
	if err := fx.customer(t, "created", note{}); err != nil {
		return nil, err
	}
	if t.Assignee != "" {
		if err := fx.staff(t, t.Assignee, "dispatched", note{}); err != nil {
			return nil, err
		}
	}
	if err := fx.event(eventOf(EventCreated, t, now, s.cfg.ServiceCategory)); err != nil {
		return nil, err
	}
	return t, fx.flush(ctx, tx)
}

// Get returns one ticket.
func (s *Service) Get(ctx context.Context, actor Actor, id int64) (*Ticket, error) {
	var t *Ticket
	err := s.repo.InTx(ctx, func(tx Tx) (err error) {
		t, err = tx.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !actor.mayRead(t) {
		return nil, ErrNotFound
	}
	return maskedFor(actor, t), nil
}

// IDByNumber finds the id of the ticket numbered number (the number staff
// and customers quote), for any staff member.
func (s *Service) IDByNumber(ctx context.Context, actor Actor, number string) (int64, error) {
	if !ValidNumber(number) {
		return 0, fieldErr("number", "not a ticket number")
	}
	var t *Ticket
	err := s.repo.InTx(ctx, func(tx Tx) (err error) {
		t, err = tx.ByNumber(ctx, number)
		return err
	})
	if err != nil {
		return 0, err
	}
	if !actor.mayRead(t) {
		return 0, ErrNotFound
	}
	return t.ID, nil
}

// Detail is a ticket with its notes, history and outbox messages.
type Detail struct {
	Ticket   *Ticket      `json:"ticket"`
	Notes    []Annotation `json:"notes"`
	History  []Entry      `json:"history"`
	Messages []Message    `json:"messages,omitempty"`
}

// Detail returns a ticket with everything recorded about it.
func (s *Service) Detail(ctx context.Context, actor Actor, id int64) (*Detail, error) {
	var d Detail
	err := s.repo.InTx(ctx, func(tx Tx) (err error) {
		if d.Ticket, err = tx.Get(ctx, id); err != nil {
			return err
		}
		if d.Notes, err = tx.Notes(ctx, id); err != nil {
			return err
		}
		if d.History, err = tx.History(ctx, id); err != nil {
			return err
		}
		d.Messages, err = tx.Messages(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !actor.mayRead(d.Ticket) {
		return nil, ErrNotFound
	}
	maskDetail(actor, &d)
	return &d, nil
}

// Search lists tickets matching f.
func (s *Service) Search(ctx context.Context, actor Actor, f Filter) ([]*Ticket, error) {
	if actor.Role == "" {
		return nil, ErrForbidden
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.Assignee != "" && s.cfg.Targets != nil {
		// A caller may name the person as it knows them (a login).
		if id, err := s.cfg.Targets.Agent(ctx, f.Assignee); err == nil {
			f.Assignee = id
		}
	}
	var out []*Ticket
	err := s.repo.InTx(ctx, func(tx Tx) (err error) {
		out, err = tx.Search(ctx, f)
		return err
	})
	return maskedAllFor(actor, out), err
}

// Pool lists the pooled tickets of group, most urgent first: the least time
// left to the nearest deadline, then the higher priority, then the oldest.
func (s *Service) Pool(ctx context.Context, actor Actor, group string, limit, offset int) ([]*Ticket, error) {
	if actor.Role == AgentRole && !actor.in(group) {
		return nil, ErrForbidden
	}
	return s.Search(ctx, actor, Filter{Statuses: []Status{Pooled}, Group: group, Sort: Urgency, Limit: limit, Offset: offset})
}

// Do applies a lifecycle command to ticket id. With cmd.Version set, a ticket
// changed since the caller read it gives ErrConflict; without, a conflicting
// concurrent write is retried. A claim that loses the race gives
// ErrAlreadyClaimed.
func (s *Service) Do(ctx context.Context, actor Actor, id int64, cmd Command) (*Ticket, error) {
	if err := cmd.validate(); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		t, fx, err := s.do(ctx, actor, id, cmd)
		if errors.Is(err, ErrConflict) && cmd.Version == 0 && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.publish(fx.events)
		return maskedFor(actor, t), nil
	}
}

func (s *Service) do(ctx context.Context, actor Actor, id int64, cmd Command) (*Ticket, *effects, error) {
	var t *Ticket
	var fx *effects
	err := s.repo.InTx(ctx, func(tx Tx) error {
		fx = s.effects(actor)
		now := fx.now
		var orig *Ticket
		var err error
		if cmd.Action == Merge {
			// Permission first, so a refused caller learns nothing about
			// the other ticket.
			if t, err = tx.Get(ctx, id); err != nil {
				return err
			}
			if !actor.may(Merge, t) {
				return ErrForbidden
			}
			if t, orig, err = lockPair(ctx, tx, id, cmd.Into); err != nil {
				return err
			}
		} else if t, err = tx.Lock(ctx, id); err != nil {
			return err
		}
		// Permission before version: a caller who may not act learns
		// nothing from a conflict.
		if !actor.may(cmd.Action, t) {
			return ErrForbidden
		}
		if cmd.Version != 0 && cmd.Version != t.Version {
			return fmt.Errorf("ticket %d has version %d, not %d: %w", id, t.Version, cmd.Version, ErrConflict)
		}
		if cmd.Action == Claim && t.Status != Pooled && t.Assignee != "" && actor.in(t.Group) {
			return ErrAlreadyClaimed
		}
		if cmd.Action == Dispatch {
			if cmd.Group, cmd.Assignee, err = s.targets(ctx, cmd.Group, cmd.Assignee); err != nil {
				return err
			}
		}
		before := t.Clone()
		if err := step(t, cmd, actor, now); err != nil {
			return err
		}
		cal := s.calendar(t.SLA.Calendar)
		s.policy().sla.move(t, before.Status, cal, now)
		t.UpdatedAt, t.Version = now, t.Version+1
		note := cmd.Reason
		switch cmd.Action {
		case Dispatch:
			if t.Assignee != "" && t.Assignee != before.Assignee {
				if err := fx.staff(t, t.Assignee, "dispatched", noteOf()); err != nil {
					return err
				}
			}
		case Resolve:
			if t.Type.NeedsVisit() {
				t.Visit = &Visit{Due: cal.Add(now, s.cfg.VisitAfter)}
				if s.cfg.SurveySMS {
					if err := fx.customer(t, "survey", noteOf()); err != nil {
						return err
					}
				}
			}
			if err := fx.customer(t, "resolved", noteOf()); err != nil {
				return err
			}
		case Close, Reopen:
			note = cmp.Or(cmd.Note, cmd.Reason)
		case Merge:
			if !orig.Open() {
				return fieldErr("into", "ticket %s is %s", orig.Number, orig.Status)
			}
			ob := orig.Clone()
			for _, tag := range t.Tags {
				if !slices.Contains(orig.Tags, tag) && len(orig.Tags) < maxTags {
					orig.Tags = append(orig.Tags, tag)
				}
			}
			orig.Urges += t.Urges
			orig.UpdatedAt, orig.Version = now, orig.Version+1
			if err := tx.Update(ctx, orig, ob.Version); err != nil {
				return err
			}
			fx.record(ob, orig, "merge", "merged duplicate "+t.Number)
			note = "merged into " + orig.Number
		}
		if err := tx.Update(ctx, t, before.Version); err != nil {
			return err
		}
		for _, w := range t.Watchers {
			if w != actor.ID && t.Status != before.Status {
				if err := fx.staff(t, w, "changed", noteOf()); err != nil {
					return err
				}
			}
		}
		fx.record(before, t, string(cmd.Action), note)
		ev := eventOf(EventChanged, t, now, s.cfg.ServiceCategory)
		ev.Action = cmd.Action
		if cmd.Action == Resolve {
			// The deadline the resolution is judged against (SQ05 counts a
			// complaint in the day it was due); zero without a target.
			ev.Clock, ev.Due = "resolution", before.SLA.ResolutionDue
		}
		if err := fx.event(ev); err != nil {
			return err
		}
		if t.Status == Closed {
			if err := fx.event(eventOf(EventClosed, t, now, s.cfg.ServiceCategory)); err != nil {
				return err
			}
		}
		return fx.flush(ctx, tx)
	})
	return t, fx, err
}

func noteOf() note { return note{} }

// lockPair locks two tickets in id order, so two merges of the same pair in
// opposite directions cannot deadlock.
func lockPair(ctx context.Context, tx Tx, a, b int64) (ta, tb *Ticket, err error) {
	if a == b {
		return nil, nil, fieldErr("into", "a ticket cannot be merged into itself")
	}
	first, second := a, b
	if b < a {
		first, second = b, a
	}
	t1, err := tx.Lock(ctx, first)
	if err != nil {
		return nil, nil, err
	}
	t2, err := tx.Lock(ctx, second)
	if err != nil {
		if errors.Is(err, ErrNotFound) && second == b {
			return nil, nil, fieldErr("into", "no ticket %d", b)
		}
		return nil, nil, err
	}
	if first == a {
		return t1, t2, nil
	}
	return t2, t1, nil
}

// Comment adds an internal note or a customer-visible reply. The first reply
// counts as the first response.
func (s *Service) Comment(ctx context.Context, actor Actor, id int64, kind NoteKind, body string) (*Annotation, error) {
	if kind != Internal && kind != Reply {
		return nil, fieldErr("kind", "must be %q or %q", Internal, Reply)
	}
	if err := checkText("body", body, 1, maxNote); err != nil {
		return nil, err
	}
	return s.annotate(ctx, actor, id, kind, body)
}

// Urge records a chase (催单) on an open ticket: counted, noted, and sent to
// the assignee (the group lead while nobody has it).
func (s *Service) Urge(ctx context.Context, actor Actor, id int64, body string) (*Annotation, error) {
	if err := checkText("body", body, 0, maxNote); err != nil {
		return nil, err
	}
	return s.annotate(ctx, actor, id, Urging, body)
}

func (s *Service) annotate(ctx context.Context, actor Actor, id int64, kind NoteKind, body string) (*Annotation, error) {
	var a *Annotation
	var fx *effects
	err := s.repo.InTx(ctx, func(tx Tx) error {
		fx = s.effects(actor)
		now := fx.now
		t, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		if !actor.mayRead(t) {
			return ErrNotFound
		}
		if t.Status == Merged || (kind != Internal && !t.Open()) {
			return &TransitionError{Action: Action(kind), From: t.Status}
		}
		before := t.Clone()
		a = &Annotation{Ticket: t.ID, Kind: kind, Author: actor.ID, Body: body, At: now}
		if err := tx.AddNote(ctx, a); err != nil {
			return fmt.Errorf("add note: %w", err)
		}
		evKind := EventCommented
		switch kind {
		case Reply:
			s.policy().sla.respond(t, s.calendar(t.SLA.Calendar), now)
			if err := fx.customer(t, "reply", note{Text: body}); err != nil {
				return err
			}
		case Urging:
			evKind = EventUrged
			t.Urges++
			n := note{Urges: t.Urges}
			if t.Assignee != "" {
				err = fx.staff(t, t.Assignee, "urged", n)
			} else {
				err = fx.lead(t, t.Group, "urged", n)
			}
			if err != nil {
				return err
			}
		}
		if changes := diff(before, t); len(changes) > 0 {
			t.UpdatedAt, t.Version = now, t.Version+1
			if err := tx.Update(ctx, t, before.Version); err != nil {
				return err
			}
		}
		fx.record(before, t, string(kind), "")
		if err := fx.event(eventOf(evKind, t, now, s.cfg.ServiceCategory)); err != nil {
			return err
		}
		return fx.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	s.publish(fx.events)
	return a, nil
}

// now reads the clock at the microsecond precision every store keeps.
func (s *Service) now() time.Time { return s.clock.Now().Truncate(time.Microsecond) }

// Watch adds the caller to the ticket's watchers (on) or removes it: watchers
// are told of every status change made by someone else.
func (s *Service) Watch(ctx context.Context, actor Actor, id int64, on bool) (*Ticket, error) {
	if actor.Role == "" {
		return nil, ErrForbidden
	}
	var t *Ticket
	err := s.repo.InTx(ctx, func(tx Tx) error {
		fx := s.effects(actor)
		var err error
		if t, err = tx.Lock(ctx, id); err != nil {
			return err
		}
		if !actor.mayRead(t) {
			return ErrNotFound
		}
		before := t.Clone()
		i := slices.Index(t.Watchers, actor.ID)
		switch {
		case on && i < 0:
			if len(t.Watchers) >= maxTags {
				return fieldErr("watchers", "at most %d watchers", maxTags)
			}
			t.Watchers = append(t.Watchers, actor.ID)
		case !on && i >= 0:
			t.Watchers = slices.Delete(t.Watchers, i, i+1)
		default:
			return nil
		}
		t.UpdatedAt, t.Version = fx.now, t.Version+1
		if err := tx.Update(ctx, t, before.Version); err != nil {
			return err
		}
		action := "watch"
		if !on {
			action = "unwatch"
		}
		fx.record(before, t, action, "")
		return fx.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return maskedFor(actor, t), nil
}

// Targets knows the groups and the staff tickets are dispatched to. Staff
// are named on tickets by their stable agent id; Agent maps what a caller
// typed (an id, or a login at the API's edge) to that id.
type Targets interface {
	Group(name string) bool
	Agent(ctx context.Context, ref string) (id string, err error) // ErrNotFound when nobody
}

// targets checks dispatch targets and returns the assignee's id.
func (s *Service) targets(ctx context.Context, group, assignee string) (string, string, error) {
	if s.cfg.Targets == nil {
		return group, assignee, nil
	}
	if group != "" && !s.cfg.Targets.Group(group) {
		return "", "", fieldErr("group", "no group %q", group)
	}
	if assignee != "" {
		id, err := s.cfg.Targets.Agent(ctx, assignee)
		if errors.Is(err, ErrNotFound) {
			return "", "", fieldErr("assignee", "no agent %q", assignee)
		}
		if err != nil {
			return "", "", fmt.Errorf("assignee: %w", err)
		}
		assignee = id
	}
	return group, assignee, nil
}
