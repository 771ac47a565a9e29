package store_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestCalendarRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c, err := s.CreateCalendar(ctx, "center", `{"time_zone":"Asia/Shanghai"}`, t0)
		if err != nil || c.Version != 1 || !c.CreatedAt.Equal(t0) {
			t.Fatalf("create: %+v %v", c, err)
		}
		_, err = s.CreateCalendar(ctx, "center", `{}`, t0)
		wantErr(t, err, store.ErrConflict)
		_, err = s.CreateCalendar(ctx, "", `{}`, t0)
		wantErr(t, err, store.ErrInvalid)
		err = s.WithTx(ctx, func(tx *store.Store) error {
			if _, err := tx.BumpVersion(ctx, store.VersionedCalendars, "center", 1, t0.Add(time.Hour)); err != nil {
				return err
			}
			return tx.SetCalendarSpec(ctx, "center", `{"time_zone":"UTC"}`, t0.Add(time.Hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.BumpVersion(ctx, store.VersionedCalendars, "center", 1, t0)
		wantErr(t, err, store.ErrStale)
		got, err := s.Calendar(ctx, "center")
		if err != nil || got.Version != 2 || got.Spec != `{"time_zone":"UTC"}` || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after the edit: %+v %v", got, err)
		}
		if all, err := s.Calendars(ctx); err != nil || len(all) != 1 {
			t.Fatalf("list: %v %v", all, err)
		}
		if err := s.DeleteCalendar(ctx, "center"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteCalendar(ctx, "center"), store.ErrNotFound)
		_, err = s.Calendar(ctx, "center")
		wantErr(t, err, store.ErrNotFound)
	})
}

func TestFlowSetRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		act, err := s.ActiveFlowSet(ctx)
		if err != nil || act.Version != 0 || !act.ActivatedAt.IsZero() {
			t.Fatalf("nothing activated: %+v %v", act, err)
		}
		zip := []byte("PK\x03\x04\x00\xff binary")
		for i := 1; i <= 3; i++ {
			v, err := s.AddFlowSet(ctx, store.FlowSet{Digest: "d", Flows: []string{"main"}, Note: "n", Tests: `{"passed":1}`,
				UploadedBy: "a1", UploadedAt: t0}, zip)
			if err != nil || v != int64(i) {
				t.Fatalf("add %d: got %d, %v", i, v, err)
			}
		}
		b, err := s.FlowSetArchive(ctx, 2)
		if err != nil || !bytes.Equal(b, zip) {
			t.Fatalf("archive: %q %v", b, err)
		}
		page, err := s.FlowSets(ctx, 3, 10)
		if err != nil || len(page) != 2 || page[0].Version != 2 || !slices.Equal(page[0].Flows, []string{"main"}) || page[0].Tests != `{"passed":1}` {
			t.Fatalf("page before 3: %+v %v", page, err)
		}
		_, err = s.FlowSet(ctx, 9)
		wantErr(t, err, store.ErrNotFound)
		for _, a := range []store.ActiveFlowSet{{Version: 2, ActivatedBy: "a1", ActivatedAt: t0}, {Version: 0, Previous: 2, ActivatedBy: "a2", ActivatedAt: t0.Add(time.Minute)}} {
			if err := s.SetActiveFlowSet(ctx, a); err != nil {
				t.Fatal(err)
			}
			got, err := s.ActiveFlowSet(ctx)
			if err != nil || got.Version != a.Version || got.Previous != a.Previous || got.ActivatedBy != a.ActivatedBy || !got.ActivatedAt.Equal(a.ActivatedAt) {
				t.Fatalf("active: got %+v %v, want %+v", got, err, a)
			}
		}
		wantErr(t, s.SetActiveFlowSet(ctx, store.ActiveFlowSet{Version: 9, ActivatedBy: "a1", ActivatedAt: t0}), store.ErrReference)
	})
}

func TestAnnouncementRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ann := mustAgent(t, s, "ann", store.RoleAgent)
		exp := t0.Add(time.Hour)
		stamps := map[string]bool{}
		stamp := func(what string) {
			t.Helper()
			st, err := s.AnnouncementsStamp(ctx)
			if err != nil || stamps[st] {
				t.Fatalf("stamp after %s: %q %v (seen: %v)", what, st, err, stamps)
			}
			stamps[st] = true
		}
		stamp("nothing")
		a, err := s.CreateAnnouncement(ctx, store.Announcement{Text: "outage", Severity: "outage", CreatedBy: "x", CreatedAt: t0, IVR: `{"areas":["020"]}`})
		if err != nil || a.ID == "" || a.ExpiresAt != nil || !a.Live(t0) || a.IVR != `{"areas":["020"]}` {
			t.Fatalf("create: %+v %v", a, err)
		}
		b, err := s.CreateAnnouncement(ctx, store.Announcement{Text: "huddle", Team: "north", Severity: "info", CreatedBy: "x", CreatedAt: t0, ExpiresAt: &exp})
		if err != nil || b.ExpiresAt == nil || !b.ExpiresAt.Equal(exp) {
			t.Fatalf("create with expiry: %+v %v", b, err)
		}
		_, err = s.CreateAnnouncement(ctx, store.Announcement{Text: "x", Severity: "panic", CreatedBy: "x", CreatedAt: t0})
		wantErr(t, err, store.ErrInvalid)
		stamp("two creations")
		if live, err := s.LiveAnnouncements(ctx, t0.Add(2*time.Hour)); err != nil || len(live) != 1 || live[0].ID != a.ID {
			t.Fatalf("live after the expiry: %+v %v", live, err)
		}
		for range 2 {
			if err := s.AckAnnouncement(ctx, b.ID, ann.ID, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		acks, err := s.AnnouncementAcks(ctx, b.ID)
		if err != nil || len(acks) != 1 || acks[0].AgentID != ann.ID || !acks[0].AckedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("acks: %+v %v", acks, err)
		}
		wantErr(t, s.AckAnnouncement(ctx, b.ID, "no-such-agent", t0), store.ErrReference)
		if m, err := s.AckedAnnouncements(ctx, ann.ID); err != nil || !m[b.ID] || m[a.ID] {
			t.Fatalf("acked: %v %v", m, err)
		}
		if err := s.WithdrawAnnouncement(ctx, b.ID, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		stamp("a withdrawal")
		if err := s.WithdrawAnnouncement(ctx, b.ID, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Announcement(ctx, b.ID)
		if got.WithdrawnAt == nil || !got.WithdrawnAt.Equal(t0.Add(2*time.Minute)) || got.Live(t0) {
			t.Fatalf("withdrawn: %+v", got)
		}
		wantErr(t, s.WithdrawAnnouncement(ctx, "nope", t0), store.ErrNotFound)
		page, err := s.Announcements(ctx, "", 10)
		if err != nil || len(page) != 2 || page[0].ID != b.ID {
			t.Fatalf("newest first: %+v %v", page, err)
		}
		if older, err := s.Announcements(ctx, b.ID, 10); err != nil || len(older) != 1 || older[0].ID != a.ID {
			t.Fatalf("before b: %+v %v", older, err)
		}
	})
}

func TestAgentWorkRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ag, err := s.CreateAgent(ctx, store.Agent{Login: "w1", DisplayName: "W", Role: store.RoleAgent, PasswordHash: "x", CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if w, err := s.AgentWork(ctx, ag.ID); err != nil || w.Site != "" || w.Capacity != nil || w.WrapUpSeconds != nil {
			t.Fatalf("default work: %+v %v", w, err)
		}
		wrapUp := 45
		set := store.AgentWork{Site: "hz", Capacity: &store.WorkCapacity{Voice: 1, Chat: 4}, WrapUpSeconds: &wrapUp}
		if err := s.SetAgentWork(ctx, ag.ID, set); err != nil {
			t.Fatal(err)
		}
		if w, err := s.AgentWork(ctx, ag.ID); err != nil || w.Site != "hz" || *w.Capacity != *set.Capacity || *w.WrapUpSeconds != 45 {
			t.Fatalf("work: %+v %v", w, err)
		}
		wantErr(t, s.SetAgentWork(ctx, "nobody", store.AgentWork{}), store.ErrNotFound)
		_, err = s.AgentWork(ctx, "nobody")
		wantErr(t, err, store.ErrNotFound)
	})
}

func TestSettingsRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		_, err := s.Settings(ctx, "tickets")
		wantErr(t, err, store.ErrNotFound)
		x, err := s.CreateSettings(ctx, "tickets", `{"rules":[]}`, t0)
		if err != nil || x.Version != 1 || x.Body != `{"rules":[]}` || !x.CreatedAt.Equal(t0) {
			t.Fatalf("create: %+v %v", x, err)
		}
		_, err = s.CreateSettings(ctx, "tickets", `{}`, t0)
		wantErr(t, err, store.ErrConflict)
		err = s.WithTx(ctx, func(tx *store.Store) error {
			if _, err := tx.BumpVersion(ctx, store.VersionedSettings, "tickets", 1, t0.Add(time.Hour)); err != nil {
				return err
			}
			return tx.SetSettingsBody(ctx, "tickets", `{"categories":["x"]}`, t0.Add(time.Hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.BumpVersion(ctx, store.VersionedSettings, "tickets", 1, t0)
		wantErr(t, err, store.ErrStale)
		if x, err := s.Settings(ctx, "tickets"); err != nil || x.Version != 2 || x.Body != `{"categories":["x"]}` {
			t.Fatalf("after the edit: %+v %v", x, err)
		}
		if err := s.DeleteSettings(ctx, "tickets"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteSettings(ctx, "tickets"), store.ErrNotFound)
	})
}
