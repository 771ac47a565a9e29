package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/store"
)

// SkillView is a skill as administration shows it.
type SkillView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (a *API) listSkills(w http.ResponseWriter, r *http.Request) error {
	sks, err := a.o.Store.Skills(r.Context())
	if err != nil {
		return err
	}
	out := make([]SkillView, 0, len(sks))
	for _, s := range sks {
		out = append(out, SkillView{Name: s.Name, Description: s.Description})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"skills": out})
}

// putSkill creates a skill or changes its description (PUT is idempotent by
// nature: the name is the key).
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
	ctx := r.Context()
	status := http.StatusOK
	after := SkillView{Name: name, Description: in.Description}
	err := a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		sks, err := tx.Skills(ctx)
		if err != nil {
			return err
		}
		var before *SkillView
		for _, s := range sks {
			if s.Name == name {
				before = &SkillView{Name: s.Name, Description: s.Description}
			}
		}
		if before != nil && *before == after {
			return nil
		}
		action := "admin.skill.update"
		if before == nil {
			action, status = "admin.skill.create", http.StatusCreated
		}
		if err := tx.UpsertSkill(ctx, store.Skill{Name: name, Description: in.Description}); err != nil {
			return err
		}
		var b any
		if before != nil {
			b = before
		}
		return a.record(ctx, tx, r, change{action: action, kind: "skill", id: name, before: b, aft: after})
	})
	if err != nil {
		return err
	}
	return writeJSON(w, status, after)
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
