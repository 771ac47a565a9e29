package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
)

func mustAgent(t *testing.T, s *store.Store, login string, role store.Role) store.Agent {
	t.Helper()
	a, err := s.CreateAgent(ctx, store.Agent{Login: login, DisplayName: "Agent " + login, Role: role, PasswordHash: "h", CreatedAt: t0})
	if err != nil {
		t.Fatalf("create agent %s: %v", login, err)
	}
	return a
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func TestAgents(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a := mustAgent(t, s, "zhang.wei", store.RoleAgent)
		got, err := s.Agent(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != a {
			t.Fatalf("got %+v, want %+v", got, a)
		}
		byLogin, err := s.AgentByLogin(ctx, "zhang.wei")
		if err != nil || byLogin.ID != a.ID {
			t.Fatalf("by login: got %+v, %v", byLogin, err)
		}
		_, err = s.CreateAgent(ctx, store.Agent{Login: "zhang.wei", DisplayName: "x", Role: store.RoleAgent, PasswordHash: "h"})
		wantErr(t, err, store.ErrConflict)
		_, err = s.CreateAgent(ctx, store.Agent{Login: "li.na", DisplayName: "x", Role: "janitor", PasswordHash: "h"})
		wantErr(t, err, store.ErrInvalid)
		_, err = s.CreateAgent(ctx, store.Agent{Login: "", DisplayName: "x", Role: store.RoleAgent, PasswordHash: "h"})
		wantErr(t, err, store.ErrInvalid)
		_, err = s.Agent(ctx, "nope")
		wantErr(t, err, store.ErrNotFound)
		_, err = s.AgentByLogin(ctx, "nope")
		wantErr(t, err, store.ErrNotFound)

		name, role, disabled := "Zhang Wei", store.RoleSupervisor, true
		up, err := s.UpdateAgent(ctx, a.ID, store.AgentUpdate{DisplayName: &name, Role: &role, Disabled: &disabled}, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if up.DisplayName != name || up.Role != role || !up.Disabled || up.PasswordHash != "h" || !up.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("update: got %+v", up)
		}
		_, err = s.UpdateAgent(ctx, "nope", store.AgentUpdate{DisplayName: &name}, t0)
		wantErr(t, err, store.ErrNotFound)

		mustAgent(t, s, "a.first", store.RoleAdmin)
		all, err := s.Agents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].Login != "a.first" || all[1].Login != "zhang.wei" {
			t.Fatalf("agents: got %v", all)
		}
	})
}

func TestSkills(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		for _, sk := range []string{"billing", "broadband", "english"} {
			if err := s.UpsertSkill(ctx, store.Skill{Name: sk, Description: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.UpsertSkill(ctx, store.Skill{Name: "billing", Description: "bills and balances"}); err != nil {
			t.Fatal(err)
		}
		skills, err := s.Skills(ctx)
		if err != nil || len(skills) != 3 || skills[0] != (store.Skill{Name: "billing", Description: "bills and balances", Version: 1}) {
			t.Fatalf("skills: got %v, %v", skills, err)
		}
		a := mustAgent(t, s, "wang.fang", store.RoleAgent)
		set := []store.AgentSkill{{Skill: "billing", Proficiency: 7}, {Skill: "english", Proficiency: 3}}
		if err := s.SetAgentSkills(ctx, a.ID, set); err != nil {
			t.Fatal(err)
		}
		// A bad list changes nothing: the replacement is atomic.
		wantErr(t, s.SetAgentSkills(ctx, a.ID, []store.AgentSkill{{Skill: "broadband", Proficiency: 5}, {Skill: "karate", Proficiency: 5}}), store.ErrReference)
		wantErr(t, s.SetAgentSkills(ctx, a.ID, []store.AgentSkill{{Skill: "broadband", Proficiency: 11}}), store.ErrInvalid)
		wantErr(t, s.SetAgentSkills(ctx, "nope", set), store.ErrNotFound)
		got, err := s.AgentSkills(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(set) {
			t.Fatalf("agent skills: got %v, want %v", got, set)
		}
	})
}

// Skills carry a version for administration's If-Match (migration 00077),
// and a skill in use cannot be deleted.
func TestSkillVersionsAndDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		for _, sk := range []string{"billing", "english"} {
			if err := s.UpsertSkill(ctx, store.Skill{Name: sk}); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := s.BumpVersion(ctx, store.VersionedSkills, "billing", 1, t0); err != nil || v != 2 {
			t.Fatalf("bump billing: got %d, %v; want 2", v, err)
		}
		_, err := s.BumpVersion(ctx, store.VersionedSkills, "billing", 1, t0)
		wantErr(t, err, store.ErrStale)
		_, err = s.BumpVersion(ctx, store.VersionedSkills, "karate", 0, t0)
		wantErr(t, err, store.ErrNotFound)
		if v, err := s.Version(ctx, store.VersionedSkills, "billing"); err != nil || v != 2 {
			t.Fatalf("version of billing: got %d, %v; want 2", v, err)
		}
		sks, err := s.Skills(ctx)
		if err != nil || len(sks) != 2 || sks[0].Version != 2 || sks[1].Version != 1 {
			t.Fatalf("skills: got %+v, %v", sks, err)
		}
		a := mustAgent(t, s, "wang.fang", store.RoleAgent)
		if err := s.SetAgentSkills(ctx, a.ID, []store.AgentSkill{{Skill: "billing", Proficiency: 7}}); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteSkill(ctx, "billing"), store.ErrReference)
		if err := s.DeleteSkill(ctx, "english"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteSkill(ctx, "english"), store.ErrNotFound)
	})
}

func TestQueues(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		for _, sk := range []string{"billing", "vip"} {
			if err := s.UpsertSkill(ctx, store.Skill{Name: sk}); err != nil {
				t.Fatal(err)
			}
		}
		q := store.Queue{ID: "vip-voice", Name: "VIP", Channel: store.Voice, SLThreshold: 15 * time.Second,
			SLTargetPercent: 90, MaxWait: 2 * time.Minute, Skills: []store.QueueSkill{{Skill: "vip", MinProficiency: 5}}}
		if err := s.UpsertQueue(ctx, q, t0); err != nil {
			t.Fatal(err)
		}
		q.Skills = []store.QueueSkill{{Skill: "billing", MinProficiency: 2}, {Skill: "vip", MinProficiency: 3}}
		q.SLThreshold = 20 * time.Second
		if err := s.UpsertQueue(ctx, q, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Queue(ctx, "vip-voice")
		if err != nil {
			t.Fatal(err)
		}
		if got.SLThreshold != 20*time.Second || got.MaxWait != 2*time.Minute || fmt.Sprint(got.Skills) != fmt.Sprint(q.Skills) ||
			!got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("queue: got %+v", got)
		}
		bad := q
		bad.ID, bad.Channel = "fax", "fax"
		wantErr(t, s.UpsertQueue(ctx, bad, t0), store.ErrInvalid)
		bad = q
		bad.ID, bad.Skills = "ghost", []store.QueueSkill{{Skill: "ghost", MinProficiency: 1}}
		wantErr(t, s.UpsertQueue(ctx, bad, t0), store.ErrReference)
		if _, err := s.Queue(ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("failed upsert left queue behind: %v", err)
		}
		all, err := s.Queues(ctx)
		if err != nil || len(all) != 1 {
			t.Fatalf("queues: got %v, %v", all, err)
		}
	})
}

func TestCustomers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c, err := s.CreateCustomer(ctx, store.Customer{ANI: "13800000001", Account: "A1001", Name: "李雷", Tier: store.TierGold, CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		for _, get := range []func() (store.Customer, error){
			func() (store.Customer, error) { return s.Customer(ctx, c.ID) },
			func() (store.Customer, error) { return s.CustomerByANI(ctx, "13800000001") },
			func() (store.Customer, error) { return s.CustomerByAccount(ctx, "A1001") },
		} {
			got, err := get()
			if err != nil || got != c {
				t.Fatalf("got %+v, %v; want %+v", got, err, c)
			}
		}
		onlyAccount, err := s.CreateCustomer(ctx, store.Customer{Account: "A1002", Tier: store.TierStandard, CreatedAt: t0})
		if err != nil || onlyAccount.ANI != "" {
			t.Fatalf("account-only customer: %+v, %v", onlyAccount, err)
		}
		_, err = s.CreateCustomer(ctx, store.Customer{ANI: "13800000001", Tier: store.TierSilver})
		wantErr(t, err, store.ErrConflict)
		_, err = s.CreateCustomer(ctx, store.Customer{Tier: store.TierSilver})
		wantErr(t, err, store.ErrInvalid)
		_, err = s.CreateCustomer(ctx, store.Customer{ANI: "1", Tier: "platinum"})
		wantErr(t, err, store.ErrInvalid)
		if err := s.SetCustomerTier(ctx, c.ID, store.TierDiamond, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.SetCustomerTier(ctx, "nope", store.TierDiamond, t0), store.ErrNotFound)
		got, _ := s.Customer(ctx, c.ID)
		if got.Tier != store.TierDiamond {
			t.Fatalf("tier: got %s, want diamond", got.Tier)
		}
		if n, err := s.CountCustomers(ctx); err != nil || n != 2 {
			t.Fatalf("count: got %d, %v; want 2", n, err)
		}
	})
}

func TestContacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		cust, _ := s.CreateCustomer(ctx, store.Customer{ANI: "13900000002", Tier: store.TierStandard, CreatedAt: t0})
		agent := mustAgent(t, s, "chen.jing", store.RoleAgent)
		c, err := s.CreateContact(ctx, store.Contact{Channel: store.Voice, CustomerID: cust.ID, ANI: "13900000002", EntryPoint: "10000", StartedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkQueued(ctx, c.ID, "general-voice", t0.Add(40*time.Second)); err != nil {
			t.Fatal(err)
		}
		// Overflow to another queue keeps the first queue and entry time.
		if err := s.MarkQueued(ctx, c.ID, "overflow", t0.Add(90*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAnswered(ctx, c.ID, agent.ID, t0.Add(100*time.Second)); err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{30 * time.Second, 12500 * time.Millisecond} {
			if err := s.AddHold(ctx, c.ID, d); err != nil {
				t.Fatal(err)
			}
		}
		wantErr(t, s.AddHold(ctx, c.ID, -time.Second), store.ErrInvalid)
		wantErr(t, s.AddHold(ctx, "nope", time.Second), store.ErrNotFound)
		if err := s.EndContact(ctx, c.ID, store.OutcomeAnswered, t0.Add(400*time.Second)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.AddHold(ctx, c.ID, time.Second), store.ErrConflict)
		wantErr(t, s.EndContact(ctx, c.ID, store.OutcomeAbandoned, t0.Add(500*time.Second)), store.ErrConflict)
		wantErr(t, s.MarkAnswered(ctx, c.ID, agent.ID, t0), store.ErrConflict)
		wantErr(t, s.EndContact(ctx, "nope", store.OutcomeAbandoned, t0), store.ErrNotFound)
		got, err := s.Contact(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.QueueID != "general-voice" || !got.QueuedAt.Equal(t0.Add(40*time.Second)) || got.AgentID != agent.ID ||
			got.Outcome != store.OutcomeAnswered || !got.EndedAt.Equal(t0.Add(400*time.Second)) ||
			got.Holds != 2 || got.Hold != 42500*time.Millisecond {
			t.Fatalf("contact: got %+v", got)
		}
		_, err = s.CreateContact(ctx, store.Contact{Channel: "pigeon", StartedAt: t0})
		wantErr(t, err, store.ErrInvalid)
		_, err = s.CreateContact(ctx, store.Contact{Channel: store.Chat, CustomerID: "ghost", StartedAt: t0})
		wantErr(t, err, store.ErrReference)
		wantErr(t, s.EndContact(ctx, c.ID+"x", "exploded", t0), store.ErrNotFound)
		c2, _ := s.CreateContact(ctx, store.Contact{Channel: store.Chat, ANI: "13900000002", StartedAt: t0.Add(time.Hour)})
		wantErr(t, s.EndContact(ctx, c2.ID, "exploded", t0), store.ErrInvalid)

		hist, err := s.Contacts(ctx, store.ContactFilter{ANI: "13900000002"})
		if err != nil || len(hist) != 2 || hist[0].ID != c2.ID {
			t.Fatalf("history by ANI: got %v, %v", hist, err)
		}
		hist, err = s.Contacts(ctx, store.ContactFilter{CustomerID: cust.ID, Since: t0.Add(time.Second)})
		if err != nil || len(hist) != 0 {
			t.Fatalf("history since: got %v, %v", hist, err)
		}
		_, err = s.Contacts(ctx, store.ContactFilter{})
		wantErr(t, err, store.ErrInvalid)
	})
}

func testEvents(n int, at time.Time) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{ID: event.NewID(), Type: "acd.contact_queued", At: at.Add(time.Duration(i) * time.Millisecond),
			ContactID: fmt.Sprintf("c%d", i%7), Queue: "general-voice", Actor: "system",
			Data: map[string]any{"priority": i % 3, "note": "排队"}}
	}
	return evs
}

func TestEventLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		evs := testEvents(1203, t0)
		if err := s.AppendEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		// A retried batch, partly written before, is written once.
		if err := s.AppendEvents(ctx, append(evs[1000:], testEvents(5, t0.Add(time.Hour))...)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountEvents(ctx); err != nil || n != 1208 {
			t.Fatalf("count: got %d, %v; want 1208", n, err)
		}
		got, err := s.Events(ctx, store.EventFilter{Limit: 2000})
		if err != nil || len(got) != 1208 {
			t.Fatalf("events: got %d, %v", len(got), err)
		}
		for i, e := range got[:1203] {
			if e.ID != evs[i].ID || !e.At.Equal(evs[i].At.Truncate(time.Microsecond)) || e.Type != evs[i].Type || e.ContactID != evs[i].ContactID {
				t.Fatalf("event %d: got %+v, want %+v", i, e, evs[i])
			}
			if i > 0 && e.Seq <= got[i-1].Seq {
				t.Fatalf("event %d: seq %d not after %d", i, e.Seq, got[i-1].Seq)
			}
		}
		if !strings.Contains(string(got[4].Data), "排队") {
			t.Fatalf("payload: got %s", got[4].Data)
		}
		page, err := s.Events(ctx, store.EventFilter{AfterSeq: got[9].Seq, ContactID: "c3", Limit: 3})
		if err != nil || len(page) != 3 || page[0].ContactID != "c3" || page[0].Seq <= got[9].Seq {
			t.Fatalf("filtered page: got %+v, %v", page, err)
		}
		if err := s.Exec(`UPDATE events SET type = 'forged'`); err == nil {
			t.Fatal("update of the event log succeeded, want append-only refusal")
		}
		if err := s.Exec(`DELETE FROM events`); err == nil {
			t.Fatal("delete from the event log succeeded, want append-only refusal")
		}
		err = s.AppendEvents(ctx, []event.Event{{Type: "x", At: t0}})
		wantErr(t, err, store.ErrInvalid)
		err = s.AppendEvents(ctx, []event.Event{{ID: event.NewID(), Type: "x", At: t0, Data: func() {}}})
		if err == nil {
			t.Fatal("unencodable payload accepted")
		}
	})
}

func TestSessionsAndAPIKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a := mustAgent(t, s, "zhao.lei", store.RoleAgent)
		x, err := s.CreateSession(ctx, store.Session{TokenHash: "hash1", AgentID: a.ID, CreatedAt: t0, LastSeenAt: t0,
			ExpiresAt: t0.Add(12 * time.Hour), RemoteAddr: "127.0.0.1", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionByTokenHash(ctx, "hash1")
		if err != nil || got.ID != x.ID || got.RevokedAt != nil || !got.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
			t.Fatalf("by hash: got %+v, %v", got, err)
		}
		gs, ga, err := s.SessionAgentByTokenHash(ctx, "hash1")
		if err != nil || gs != got || ga.ID != a.ID || ga.Login != "zhao.lei" || ga.Role != store.RoleAgent || ga.Disabled {
			t.Fatalf("session and agent by hash: got %+v, %+v, %v", gs, ga, err)
		}
		_, _, err = s.SessionAgentByTokenHash(ctx, "nope")
		wantErr(t, err, store.ErrNotFound)
		_, err = s.CreateSession(ctx, store.Session{TokenHash: "hash1", AgentID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0})
		wantErr(t, err, store.ErrConflict)
		_, err = s.CreateSession(ctx, store.Session{TokenHash: "hash2", AgentID: "ghost", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0})
		wantErr(t, err, store.ErrReference)
		if err := s.TouchSession(ctx, x.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, x.ID, t0.Add(time.Second)); err != nil { // late, older touch
			t.Fatal(err)
		}
		got, _ = s.Session(ctx, x.ID)
		if !got.LastSeenAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("last seen: got %v, want %v", got.LastSeenAt, t0.Add(time.Minute))
		}
		// Many at once (auth batches its touches): forward only, unknown
		// ids ignored.
		y, err := s.CreateSession(ctx, store.Session{TokenHash: "hash3", AgentID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(12 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSessions(ctx, map[string]time.Time{x.ID: t0.Add(30 * time.Second), y.ID: t0.Add(2 * time.Minute), "ghost": t0}); err != nil {
			t.Fatal(err)
		}
		gx, _ := s.Session(ctx, x.ID)
		gy, _ := s.Session(ctx, y.ID)
		if !gx.LastSeenAt.Equal(t0.Add(time.Minute)) || !gy.LastSeenAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("batched touches: last seen %v and %v, want %v and %v", gx.LastSeenAt, gy.LastSeenAt, t0.Add(time.Minute), t0.Add(2*time.Minute))
		}
		if err := s.RevokeSession(ctx, y.ID, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		live, err := s.AgentSessions(ctx, a.ID, t0)
		if err != nil || len(live) != 1 {
			t.Fatalf("live sessions: %v, %v", live, err)
		}
		if err := s.RevokeSession(ctx, x.ID, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSession(ctx, x.ID, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Session(ctx, x.ID)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("revoked at: got %v", got.RevokedAt)
		}
		wantErr(t, s.RevokeSession(ctx, "nope", t0), store.ErrNotFound)
		for i := range 3 {
			if _, err := s.CreateSession(ctx, store.Session{TokenHash: fmt.Sprint("h", i), AgentID: a.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.RevokeAgentSessions(ctx, a.ID, t0.Add(time.Minute)); err != nil || n != 3 {
			t.Fatalf("revoke all: got %d, %v; want 3", n, err)
		}
		if n, err := s.DeleteSessionsBefore(ctx, t0.Add(24*time.Hour)); err != nil || n != 5 {
			t.Fatalf("delete old: got %d, %v; want 5", n, err)
		}

		k, err := s.CreateAPIKey(ctx, store.APIKey{Name: "eoms", KeyHash: "kh", Role: "integration", CreatedBy: a.ID, CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateAPIKey(ctx, store.APIKey{Name: "root", KeyHash: "kh2", Role: "superuser", CreatedAt: t0})
		wantErr(t, err, store.ErrInvalid)
		if err := s.TouchAPIKey(ctx, k.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		gk, err := s.APIKeyByHash(ctx, "kh")
		if err != nil || gk.Name != "eoms" || gk.LastUsedAt == nil || gk.CreatedBy != a.ID {
			t.Fatalf("key: got %+v, %v", gk, err)
		}
		if err := s.RevokeAPIKey(ctx, k.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.RevokeAPIKey(ctx, "nope", t0), store.ErrNotFound)
		keys, err := s.APIKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil {
			t.Fatalf("keys: got %+v, %v", keys, err)
		}
	})
}

func TestTransactions(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		boom := errors.New("boom")
		err := s.WithTx(ctx, func(tx *store.Store) error {
			if _, err := tx.CreateCustomer(ctx, store.Customer{ANI: "1", Tier: store.TierStandard}); err != nil {
				return err
			}
			if err := tx.AppendEvents(ctx, testEvents(3, t0)); err != nil {
				return err
			}
			// A nested WithTx joins the outer transaction.
			return tx.WithTx(ctx, func(tx *store.Store) error {
				_, err := tx.CreateCustomer(ctx, store.Customer{ANI: "2", Tier: store.TierStandard})
				if err != nil {
					return err
				}
				return boom
			})
		})
		wantErr(t, err, boom)
		if n, _ := s.CountCustomers(ctx); n != 0 {
			t.Fatalf("rolled-back transaction left %d customers", n)
		}
		if n, _ := s.CountEvents(ctx); n != 0 {
			t.Fatalf("rolled-back transaction left %d events", n)
		}
		err = s.WithTx(ctx, func(tx *store.Store) error {
			_, err := tx.CreateCustomer(ctx, store.Customer{ANI: "1", Tier: store.TierStandard})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CustomerByANI(ctx, "1"); err != nil {
			t.Fatalf("committed customer: %v", err)
		}
		// A constraint violation inside a transaction surfaces typed and
		// rolls the whole transaction back.
		err = s.WithTx(ctx, func(tx *store.Store) error {
			if _, err := tx.CreateCustomer(ctx, store.Customer{ANI: "3", Tier: store.TierStandard}); err != nil {
				return err
			}
			_, err := tx.CreateCustomer(ctx, store.Customer{ANI: "1", Tier: store.TierStandard})
			return err
		})
		wantErr(t, err, store.ErrConflict)
		if _, err := s.CustomerByANI(ctx, "3"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("customer 3 survived a rolled-back transaction: %v", err)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const writers, each = 12, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					_, err := s.CreateCustomer(ctx, store.Customer{ANI: fmt.Sprintf("1%02d%04d", w, i), Tier: store.TierStandard})
					if err != nil {
						errs <- err
					}
					if err := s.AppendEvents(ctx, testEvents(4, t0)); err != nil {
						errs <- err
					}
					// Everyone also races for one login: exactly one wins.
					_, err = s.CreateAgent(ctx, store.Agent{Login: fmt.Sprint("race", i), DisplayName: "r", Role: store.RoleAgent, PasswordHash: "h"})
					if err != nil && !errors.Is(err, store.ErrConflict) {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n, _ := s.CountCustomers(ctx); n != writers*each {
			t.Fatalf("customers: got %d, want %d", n, writers*each)
		}
		if n, _ := s.CountEvents(ctx); n != writers*each*4 {
			t.Fatalf("events: got %d, want %d", n, writers*each*4)
		}
		if all, _ := s.Agents(ctx); len(all) != each {
			t.Fatalf("agents: got %d, want %d (one winner per login)", len(all), each)
		}
	})
}

// A KPI window rebuilt after a restart: events of some types within
// [From, To), read page by page, with the node that published them.
func TestEventsByTimeRangeAndType(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		var evs []event.Event
		for i := range 60 {
			typ := event.Type([]string{"acd.queued", "acd.answered", "ivr.started", "acd_x.other"}[i%4])
			evs = append(evs, event.Event{ID: event.NewID(), Type: typ, At: t0.Add(time.Duration(i) * time.Minute), Node: "n1"})
		}
		if err := s.AppendEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		from, to := t0.Add(10*time.Minute), t0.Add(50*time.Minute)
		var want []string
		for _, e := range evs {
			if !e.At.Before(from) && e.At.Before(to) && strings.HasPrefix(string(e.Type), "acd.") {
				want = append(want, e.ID)
			}
		}
		var got []string
		f := store.EventFilter{From: from, To: to, TypePrefix: "acd.", Limit: 7}
		for pages := 0; ; pages++ {
			page, err := s.Events(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if e.Node != "n1" {
					t.Fatalf("node: got %q, want n1", e.Node)
				}
				got = append(got, e.ID)
			}
			f.AfterSeq = page[len(page)-1].Seq
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %d events %v, want %d %v", len(got), got, len(want), want)
		}
		one, err := s.Events(ctx, store.EventFilter{TypePrefix: "ivr.started"})
		if err != nil || len(one) != 15 {
			t.Fatalf("exact type: got %d, %v; want 15", len(one), err)
		}
	})
}

// Idempotency keys are remembered for a while, then forgotten: the same key
// after the sweep creates anew.
func TestIdempotencyKeysForgotten(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if _, _, err := s.ClaimRequest(ctx, "admin", "k-old", "queue", "q1", t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClaimRequest(ctx, "admin", "k-new", "queue", "q2", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ForgetRequests(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("forgot %d, %v; want the one older than the cut", n, err)
		}
		_, _, err := s.RequestOf(ctx, "admin", "k-old")
		wantErr(t, err, store.ErrNotFound)
		if k, id, err := s.ClaimRequest(ctx, "admin", "k-new", "queue", "q3", t0.Add(3*time.Hour)); !errors.Is(err, store.ErrConflict) || k != "queue" || id != "q2" {
			t.Fatalf("claim of the kept key: got %s %s %v; want queue q2 and a conflict", k, id, err)
		}
		if _, _, err := s.ClaimRequest(ctx, "admin", "k-old", "queue", "q4", t0.Add(3*time.Hour)); err != nil {
			t.Fatalf("claim of the forgotten key: %v", err)
		}
	})
}
