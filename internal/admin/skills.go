package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/store"
)

// SkillView is a skill as administration shows it.
type SkillView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     int64  `json:"version"`
}

func (v SkillView) etagVersion() int64 { return v.Version }

// listSkills answers the skills by name, paged like every list (?after=&limit=).
func (a *API) listSkills(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	sks, err := a.o.Store.Skills(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Skills []SkillView `json:"skills"`
		Next   string      `json:"next,omitempty"`
	}{Skills: []SkillView{}}
	for _, s := range sks {
		if s.Name <= after {
			continue
		}
		if len(out.Skills) == limit {
			out.Next = out.Skills[limit-1].Name
			break
		}
		out.Skills = append(out.Skills, SkillView{Name: s.Name, Description: s.Description, Version: s.Version})
	}
	return writeJSON(w, http.StatusOK, out)
}

// skillView reads one skill (store.ErrNotFound when there is none).
func skillView(ctx context.Context, st *store.Store, name string) (SkillView, error) {
	sks, err := st.Skills(ctx)
	if err != nil {
		return SkillView{}, err
	}
	for _, s := range sks {
		if s.Name == name {
			return SkillView{Name: s.Name, Description: s.Description, Version: s.Version}, nil
		}
	}
	return SkillView{}, fmt.Errorf("skill %s: %w", name, store.ErrNotFound)
}

func (a *API) getSkill(w http.ResponseWriter, r *http.Request) error {
	v, err := skillView(r.Context(), a.o.Store, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeVersioned(w, v)
}

// putSkill creates a skill (201) or changes its description (200; If-Match
// as for every administered row). PUT is idempotent by nature: the name is
// the key, and the same description again changes nothing.
func (a *API) putSkill(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Description string `json:"description"`
	}
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	name := r.PathValue("name")
	if n := utf8.RuneCountInString(name); n == 0 || n > 64 || strings.TrimSpace(name) != name || strings.ContainsAny(name, "/?#") {
		return badField("name", "1–64 characters without surrounding spaces or '/'")
	}
	if utf8.RuneCountInString(in.Description) > 500 {
		return badField("description", "at most 500 characters")
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	status := http.StatusOK
	after := SkillView{Name: name, Description: in.Description}
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := skillView(ctx, tx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if want != 0 {
				return err // an edit of a skill deleted since it was read
			}
			if err := tx.UpsertSkill(ctx, store.Skill{Name: name, Description: in.Description}); err != nil {
				return err
			}
			after.Version, status = 1, http.StatusCreated
			return a.record(ctx, tx, r, change{action: "admin.skill.create", kind: "skill", id: name, aft: after})
		case err != nil:
			return err
		case before.Description == in.Description:
			if want != 0 && want != before.Version {
				return fmt.Errorf("skill %s: %w", name, store.ErrStale)
			}
			after = before
			return nil
		}
		if after.Version, err = tx.BumpVersion(ctx, store.VersionedSkills, name, want, a.o.Now()); err != nil {
			return err
		}
		if err := tx.UpsertSkill(ctx, store.Skill{Name: name, Description: in.Description}); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.skill.update", kind: "skill", id: name, before: before, aft: after})
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(after.Version))
	return writeJSON(w, status, after)
}

// deleteSkill deletes a skill no queue requires (also in a step) and no
// agent has: refused 409 naming who still uses it.
func (a *API) deleteSkill(w http.ResponseWriter, r *http.Request) error {
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx, name := r.Context(), r.PathValue("name")
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		v, err := tx.BumpVersion(ctx, store.VersionedSkills, name, want, a.o.Now())
		if err != nil {
			return err
		}
		qs, err := LoadQueues(ctx, tx, nil)
		if err != nil {
			return err
		}
		for _, q := range qs {
			reqs := slices.Clone(q.Skills)
			for _, s := range q.Steps {
				reqs = append(reqs, s.AddSkills...)
			}
			if slices.ContainsFunc(reqs, func(x acd.Requirement) bool { return x.Skill == name }) {
				return &fieldError{Field: "name", Status: http.StatusConflict, Code: "conflict",
					Message: "queue " + q.ID + " requires this skill: change the queue first"}
			}
		}
		before, err := skillView(ctx, tx, name)
		if err != nil {
			return err
		}
		before.Version = v - 1
		if err := tx.DeleteSkill(ctx, name); err != nil {
			if errors.Is(err, store.ErrReference) {
				return &fieldError{Field: "name", Status: http.StatusConflict, Code: "conflict",
					Message: "an agent has this skill: take it from the agent first"}
			}
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.skill.delete", kind: "skill", id: name, before: before})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listAudit answers the administration changes of the trail, newest first:
// ?subject_kind=agent&subject_id=…&actor=…&from=…&to=…&cursor=…&limit=….
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq := audit.Query{SubjectKind: q.Get("subject_kind"), SubjectID: q.Get("subject_id"), Actor: q.Get("actor"),
		Action: "admin.", Cursor: q.Get("cursor")}
	if act := q.Get("action"); act != "" {
		if !strings.HasPrefix(act, "admin.") {
			return badField("action", "an administration action (admin.…)")
		}
		aq.Action = act
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"from", &aq.From}, {"to", &aq.To}} {
		if s := q.Get(f.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return badField(f.name, "an RFC 3339 time")
			}
			*f.t = t
		}
	}
	_, limit, err := page(r)
	if err != nil {
		return err
	}
	aq.Limit = limit
	p, err := a.o.Audit.List(r.Context(), aq)
	if errors.Is(err, audit.ErrInvalid) {
		return badField("cursor", "not a cursor this API gave out")
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
