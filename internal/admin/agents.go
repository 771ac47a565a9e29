package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// AgentView is an agent as administration shows it (never a password hash).
type AgentView struct {
	ID          string       `json:"id"`
	Login       string       `json:"login"`
	DisplayName string       `json:"display_name"`
	Role        string       `json:"role"`
	Disabled    bool         `json:"disabled"`
	Teams       []string     `json:"teams"`
	Skills      []SkillLevel `json:"skills"`
	// Site is where the agent works (a free name, e.g. a city office).
	Site string `json:"site"`
	// Capacity is how many contacts the agent holds at once; null: the
	// center's (acd.chat_capacity, one call).
	Capacity *store.WorkCapacity `json:"capacity"`
	// WrapUpSeconds is the agent's own after-contact work time, over the
	// queue's and the center's; null: none of its own.
	WrapUpSeconds *int      `json:"wrap_up_seconds"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// Warnings are accepted changes that could not be applied yet.
	Warnings []Warning `json:"warnings,omitempty"`
}

// SkillLevel is one skill of an agent with its proficiency (1–10).
type SkillLevel struct {
	Skill       string `json:"skill"`
	Proficiency int    `json:"proficiency"`
}

func (a *API) agentView(ctx context.Context, st *store.Store, id string) (AgentView, error) {
	ag, err := st.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	return a.viewOf(ctx, st, ag)
}

func (a *API) viewOf(ctx context.Context, st *store.Store, ag store.Agent) (AgentView, error) {
	v := AgentView{ID: ag.ID, Login: ag.Login, DisplayName: ag.DisplayName, Role: string(ag.Role),
		Disabled: ag.Disabled, CreatedAt: ag.CreatedAt, UpdatedAt: ag.UpdatedAt, Teams: []string{}, Skills: []SkillLevel{}}
	var err error
	if v.Version, err = st.Version(ctx, store.VersionedAgents, ag.ID); err != nil {
		return v, err
	}
	teams, err := st.AgentTeams(ctx, ag.ID)
	if err != nil {
		return v, err
	}
	v.Teams = append(v.Teams, teams...)
	skills, err := st.AgentSkills(ctx, ag.ID)
	if err != nil {
		return v, err
	}
	for _, s := range skills {
		v.Skills = append(v.Skills, SkillLevel{Skill: s.Skill, Proficiency: s.Proficiency})
	}
	work, err := st.AgentWork(ctx, ag.ID)
	if err != nil {
		return v, err
	}
	v.Site, v.Capacity, v.WrapUpSeconds = work.Site, work.Capacity, work.WrapUpSeconds
	return v, nil
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	ags, err := a.o.Store.AgentsPaged(ctx, store.AgentPage{After: after, Limit: limit + 1, Search: q.Get("q"), Team: q.Get("team")})
	if err != nil {
		return err
	}
	out := struct {
		Agents []AgentView `json:"agents"`
		Next   string      `json:"next,omitempty"`
	}{Agents: []AgentView{}}
	if len(ags) > limit {
		ags = ags[:limit]
		out.Next = ags[limit-1].Login
	}
	for _, ag := range ags {
		v, err := a.viewOf(ctx, a.o.Store, ag)
		if err != nil {
			return err
		}
		out.Agents = append(out.Agents, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, a.o.Store, a.agentView)
}

// agentInput is the body of a creation and of an edit; an edit changes the
// fields present.
type agentInput struct {
	Login       *string       `json:"login"`
	DisplayName *string       `json:"display_name"`
	Role        *string       `json:"role"`
	Password    *string       `json:"password"`
	Disabled    *bool         `json:"disabled"`
	Teams       *[]string     `json:"teams"`
	Skills      *[]SkillLevel `json:"skills"`
	Site        *string       `json:"site"`
	// Capacity and WrapUpSeconds: null puts back the default.
	Capacity      optional[store.WorkCapacity] `json:"capacity"`
	WrapUpSeconds optional[int]                `json:"wrap_up_seconds"`
}

// optional is a JSON field that may be absent (unchanged), null (back to
// the default) or a value.
type optional[T any] struct {
	Set bool
	Val *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set, o.Val = true, nil
	if string(b) == "null" {
		return nil
	}
	o.Val = new(T)
	return json.Unmarshal(b, o.Val)
}

// work applies the work fields of in to w.
func (in agentInput) work(w store.AgentWork) store.AgentWork {
	if in.Site != nil {
		w.Site = *in.Site
	}
	if in.Capacity.Set {
		w.Capacity = in.Capacity.Val
	}
	if in.WrapUpSeconds.Set {
		w.WrapUpSeconds = in.WrapUpSeconds.Val
	}
	return w
}

func (in agentInput) changesWork() bool {
	return in.Site != nil || in.Capacity.Set || in.WrapUpSeconds.Set
}

// Limits of an agent's work settings (the ACD's own: one call at a time,
// at most 16 chats).
const (
	maxChatCapacity = 16
	maxWrapUp       = 86400
)

func validLogin(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validate checks the fields present; create says every required one must be.
func (a *API) validateAgent(ctx context.Context, in agentInput, create bool) error {
	if create {
		switch {
		case in.Login == nil:
			return badField("login", "required")
		case in.DisplayName == nil:
			return badField("display_name", "required")
		case in.Role == nil:
			return badField("role", "required")
		case in.Password == nil:
			return badField("password", "required")
		}
	}
	if in.Login != nil && !validLogin(*in.Login) {
		return badField("login", "1–64 letters, digits, '.', '-' or '_'")
	}
	if in.DisplayName != nil {
		if n := utf8.RuneCountInString(strings.TrimSpace(*in.DisplayName)); n == 0 || utf8.RuneCountInString(*in.DisplayName) > 128 {
			return badField("display_name", "1–128 characters")
		}
	}
	if in.Role != nil {
		switch auth.Role(*in.Role) {
		case auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin:
		default:
			return badField("role", "agent, supervisor or admin")
		}
	}
	if in.Password != nil && utf8.RuneCountInString(*in.Password) < a.o.PasswordMinLength {
		return badField("password", "at least %d characters", a.o.PasswordMinLength)
	}
	if in.Teams != nil {
		seen := map[string]bool{}
		for i, t := range *in.Teams {
			f := fmt.Sprintf("teams[%d]", i)
			if n := utf8.RuneCountInString(t); n == 0 || n > 64 || strings.TrimSpace(t) != t {
				return badField(f, "1–64 characters without surrounding spaces")
			}
			if seen[t] {
				return badField(f, "%q listed twice", t)
			}
			seen[t] = true
		}
	}
	if in.Site != nil && (utf8.RuneCountInString(*in.Site) > 64 || strings.TrimSpace(*in.Site) != *in.Site) {
		return badField("site", "at most 64 characters without surrounding spaces")
	}
	if c := in.Capacity.Val; c != nil {
		switch {
		case c.Voice < 0 || c.Voice > 1:
			return badField("capacity.voice", "0 or 1")
		case c.Chat < 0 || c.Chat > maxChatCapacity:
			return badField("capacity.chat", "from 0 to %d", maxChatCapacity)
		}
	}
	if w := in.WrapUpSeconds.Val; w != nil && (*w < 0 || *w > maxWrapUp) {
		return badField("wrap_up_seconds", "from 0 (none) to %d, or null for the queue's or the center's", maxWrapUp)
	}
	if in.Skills != nil {
		known, err := a.o.Store.Skills(ctx)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i, s := range *in.Skills {
			f := fmt.Sprintf("skills[%d]", i)
			if !slices.ContainsFunc(known, func(k store.Skill) bool { return k.Name == s.Skill }) {
				return badField(f+".skill", "unknown skill %q (create it under /api/v1/admin/skills first)", s.Skill)
			}
			if seen[s.Skill] {
				return badField(f+".skill", "%q listed twice", s.Skill)
			}
			seen[s.Skill] = true
			if s.Proficiency < acd.MinProficiency || s.Proficiency > acd.MaxProficiency {
				return badField(f+".proficiency", "from %d to %d", acd.MinProficiency, acd.MaxProficiency)
			}
		}
	}
	return nil
}

func storeSkills(in []SkillLevel) []store.AgentSkill {
	out := make([]store.AgentSkill, 0, len(in))
	for _, s := range in {
		out = append(out, store.AgentSkill{Skill: s.Skill, Proficiency: s.Proficiency})
	}
	return out
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request) error {
	var in agentInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	key, done, err := replay(a, w, r, "agent", a.agentView)
	if done || err != nil {
		return err
	}
	ctx := r.Context()
	if in.Disabled != nil && *in.Disabled {
		return badField("disabled", "a new agent starts enabled")
	}
	if err := a.validateAgent(ctx, in, true); err != nil {
		return err
	}
	hash, err := a.o.Hasher.Hash(*in.Password)
	if err != nil {
		return err
	}
	var v AgentView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		ag, err := tx.CreateAgent(ctx, store.Agent{Login: *in.Login, DisplayName: *in.DisplayName,
			Role: store.Role(*in.Role), PasswordHash: hash, CreatedAt: a.o.Now()})
		if errors.Is(err, store.ErrConflict) {
			return &fieldError{Field: "login", Status: http.StatusConflict, Code: "already_exists", Message: "login already taken"}
		}
		if err != nil {
			return err
		}
		if err := a.claim(ctx, tx, r, key, "agent", ag.ID); err != nil {
			return err
		}
		if in.Teams != nil {
			if err := tx.SetAgentTeams(ctx, ag.ID, *in.Teams); err != nil {
				return err
			}
		}
		if in.Skills != nil {
			if err := tx.SetAgentSkills(ctx, ag.ID, storeSkills(*in.Skills)); err != nil {
				return err
			}
		}
		if in.changesWork() {
			if err := tx.SetAgentWork(ctx, ag.ID, in.work(store.AgentWork{})); err != nil {
				return err
			}
		}
		if v, err = a.agentView(ctx, tx, ag.ID); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.agent.create", kind: "agent", id: ag.ID, aft: v})
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(v.Version))
	w.Header().Set("Location", "/api/v1/admin/agents/"+v.ID)
	return writeJSON(w, http.StatusCreated, v)
}

// mayEdit says whether the principal may make edit in to agent id: an
// admin anything; a supervisor only the skills, capacity and wrap-up time
// of an agent sharing a team.
func (a *API) mayEdit(ctx context.Context, p auth.Principal, id string, in agentInput) error {
	if p.Can(auth.PermAgentsManage) {
		return nil
	}
	if in.Login != nil || in.DisplayName != nil || in.Role != nil || in.Password != nil || in.Disabled != nil || in.Teams != nil || in.Site != nil {
		return fmt.Errorf("%w: a supervisor may change only the skills, capacity and wrap-up time of agents in their teams", ErrForbidden)
	}
	if p.AgentID == "" {
		return fmt.Errorf("%w: only an administrator", ErrForbidden)
	}
	if _, err := a.o.Store.Agent(ctx, id); err != nil {
		return err
	}
	ok, err := a.o.Store.ShareTeam(ctx, p.AgentID, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: the agent is not in one of your teams", ErrForbidden)
	}
	return nil
}

func (a *API) updateAgent(w http.ResponseWriter, r *http.Request) error {
	var in agentInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	p, _ := auth.PrincipalFrom(ctx)
	if err := a.mayEdit(ctx, p, id, in); err != nil {
		return err
	}
	if in.Login != nil {
		return badField("login", "a login cannot change; create another agent")
	}
	if in.Password != nil {
		return badField("password", "reset it with POST /api/v1/admin/agents/{id}/password")
	}
	if err := a.validateAgent(ctx, in, false); err != nil {
		return err
	}
	if in.Disabled != nil && *in.Disabled && id == p.AgentID {
		return badField("disabled", "you cannot disable your own account")
	}
	var before, after AgentView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		v, err := tx.BumpVersion(ctx, store.VersionedAgents, id, want, a.o.Now())
		if err != nil {
			return err
		}
		if before, err = a.agentView(ctx, tx, id); err != nil {
			return err
		}
		before.Version = v - 1
		var role *store.Role
		if in.Role != nil {
			x := store.Role(*in.Role)
			role = &x
		}
		if _, err := tx.UpdateAgent(ctx, id, store.AgentUpdate{DisplayName: in.DisplayName, Role: role, Disabled: in.Disabled}, a.o.Now()); err != nil {
			return err
		}
		if in.Teams != nil {
			if err := tx.SetAgentTeams(ctx, id, *in.Teams); err != nil {
				return err
			}
		}
		if in.Skills != nil {
			if err := tx.SetAgentSkills(ctx, id, storeSkills(*in.Skills)); err != nil {
				return err
			}
		}
		if in.changesWork() {
			w, err := tx.AgentWork(ctx, id)
			if err != nil {
				return err
			}
			if err := tx.SetAgentWork(ctx, id, in.work(w)); err != nil {
				return err
			}
		}
		if after, err = a.agentView(ctx, tx, id); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.agent.update", kind: "agent", id: id, before: before, aft: after})
	})
	if err != nil {
		return err
	}
	if in.Disabled != nil && *in.Disabled && !before.Disabled && a.o.Revoke != nil {
		if _, err := a.o.Revoke(ctx, id); err != nil {
			a.o.Logger.Warn("sessions of a disabled agent not ended", "agent_id", id, "err", err)
		}
	}
	if in.Skills != nil {
		a.applySkills(ctx, p, after)
	}
	if in.Capacity.Set || in.WrapUpSeconds.Set {
		field := "capacity"
		if !in.Capacity.Set {
			field = "wrap_up_seconds"
		}
		after.Warnings = a.applyWork(ctx, p, after, field)
	}
	w.Header().Set("ETag", etag(after.Version))
	return writeJSON(w, http.StatusOK, after)
}

// applySkills gives a logged-in agent its new skills at once (the next
// offer follows them), limited to the skills some queue uses as at login.
// An agent not logged in gets them at its next login.
func (a *API) applySkills(ctx context.Context, p auth.Principal, v AgentView) {
	rt := a.router()
	if rt == nil {
		return
	}
	known, err := rt.Skills(ctx)
	if err != nil {
		a.o.Logger.Warn("skills not applied to the acd", "agent_id", v.ID, "err", err)
		return
	}
	skills := map[string]int{}
	for _, s := range v.Skills {
		if slices.Contains(known, s.Skill) {
			skills[s.Skill] = s.Proficiency
		}
	}
	by, _ := audit.Actor(p)
	if err := rt.SetSkills(ctx, by, v.ID, skills); err != nil && !errors.Is(err, acd.ErrUnknownAgent) {
		a.o.Logger.Warn("skills not applied to the acd", "agent_id", v.ID, "skills", slices.Sorted(maps.Keys(skills)), "err", err)
	}
}

// WorkRouter is the part of the running ACD that agents' capacities and
// wrap-up times reach (*acd.Engine).
type WorkRouter interface {
	SetWork(ctx context.Context, by, agentID string, capy *acd.Capacity, wrapUp *time.Duration) error
}

// AgentWorkSpec fills a login's capacity and wrap-up time from the agent's
// stored work settings.
func AgentWorkSpec(w store.AgentWork, spec *acd.AgentSpec) {
	if c := w.Capacity; c != nil {
		spec.Capacity = &acd.Capacity{Voice: c.Voice, Chat: c.Chat, VoiceBlocksChat: c.VoiceBlocksChat}
	}
	if w.WrapUpSeconds != nil {
		d := time.Duration(*w.WrapUpSeconds) * time.Second
		spec.WrapUp = &d
	}
}

// applyWork gives a logged-in agent its new capacity and wrap-up time at
// once; an agent holding more than the new capacity allows gets it at the
// next login (said in the returned warnings).
func (a *API) applyWork(ctx context.Context, p auth.Principal, v AgentView, field string) []Warning {
	wr, ok := a.router().(WorkRouter)
	if !ok {
		return nil
	}
	var spec acd.AgentSpec
	AgentWorkSpec(store.AgentWork{Capacity: v.Capacity, WrapUpSeconds: v.WrapUpSeconds}, &spec)
	by, _ := audit.Actor(p)
	err := wr.SetWork(ctx, by, v.ID, spec.Capacity, spec.WrapUp)
	switch {
	case err == nil || errors.Is(err, acd.ErrUnknownAgent):
		return nil
	case errors.Is(err, acd.ErrInvalidArgument):
		return []Warning{{Code: WarnCapacityAtNextLogin, Field: "capacity",
			Message: "the agent holds more contacts than the new capacity allows: it applies at the agent's next login"}}
	}
	a.o.Logger.Warn("work settings not applied to the acd", "agent_id", v.ID, "err", err)
	return []Warning{{Code: WarnNotAppliedToRouting, Field: field, Message: "not applied to routing yet: it applies at the agent's next login"}}
}

func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	if utf8.RuneCountInString(in.Password) < a.o.PasswordMinLength {
		return badField("password", "at least %d characters", a.o.PasswordMinLength)
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	hash, err := a.o.Hasher.Hash(in.Password)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	var v int64
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if v, err = tx.BumpVersion(ctx, store.VersionedAgents, id, want, a.o.Now()); err != nil {
			return err
		}
		if _, err := tx.UpdateAgent(ctx, id, store.AgentUpdate{PasswordHash: &hash}, a.o.Now()); err != nil {
			return err
		}
		// The audit record says that it changed, never what to.
		return a.record(ctx, tx, r, change{action: "admin.agent.password_reset", kind: "agent", id: id})
	})
	if err != nil {
		return err
	}
	var ended int64
	if a.o.Revoke != nil {
		if ended, err = a.o.Revoke(ctx, id); err != nil {
			a.o.Logger.Warn("sessions after a password reset not ended", "agent_id", id, "err", err)
		}
	}
	w.Header().Set("ETag", etag(v))
	return writeJSON(w, http.StatusOK, map[string]any{"sessions_revoked": ended})
}
