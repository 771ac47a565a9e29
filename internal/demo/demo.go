// Package demo seeds a small 10000-style center into an empty store, so the
// first `go run ./cmd/hotline` shows something real: agents with skills,
// voice, chat and VIP queues, and customers of every service tier.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// DemoTeam is the team of the demo's agents and their supervisor.
const DemoTeam = "floor-1"

// Account is a seeded login with its one-time password.
type Account struct {
	Login    string
	Name     string
	Role     auth.Role
	Password string
}

// Caller is a seeded customer to call or chat as, with the service PIN the
// IVR's password service asks for.
type Caller struct {
	ANI     string
	Account string
	Name    string
	Tier    store.Tier
	PIN     string
}

// Seeded is what Seed created.
type Seeded struct {
	Accounts []Account
	Callers  []Caller
}

// balances are the demo accounts' self-service figures (fen): balance, bill
// and points, one line per customer in the order of customers.
var balances = [][3]int64{
	{128_650, 39_900, 52_000}, {4_520, 15_800, 8_800}, {-305, 12_850, 4_200}, {2_000, 5_900, 600},
	{15_075, 8_800, 1_250}, {36_000, 29_900, 21_000}, {8_810, 7_900, 300}, {990, 16_600, 3_900},
}

type agentSeed struct {
	login, name string
	role        auth.Role
	skills      []store.AgentSkill
}

var skills = []store.Skill{
	{Name: "general", Description: "通用业务咨询 General enquiries"},
	{Name: "billing", Description: "话费账单 Bills, balance and payments"},
	{Name: "broadband", Description: "宽带故障 Broadband faults"},
	{Name: "mobile", Description: "移动业务 Mobile plans and services"},
	{Name: "complaints", Description: "投诉处理 Complaint handling"},
	{Name: "english", Description: "英语服务 English-language service"},
	{Name: "vip", Description: "VIP 客户经理 Service for diamond, gold and silver customers"},
}

var queues = []store.Queue{
	{ID: "general-voice", Name: "综合业务 General (voice)", Channel: store.Voice, SLThreshold: 20 * time.Second, SLTargetPercent: 80, MaxWait: 5 * time.Minute,
		Skills: []store.QueueSkill{{Skill: "general", MinProficiency: 1}}},
	{ID: "general-chat", Name: "在线客服 General (chat)", Channel: store.Chat, SLThreshold: 300 * time.Second, SLTargetPercent: 90, MaxWait: 15 * time.Minute,
		Skills: []store.QueueSkill{{Skill: "general", MinProficiency: 1}}},
	{ID: "vip-voice", Name: "VIP 专席 VIP (voice)", Channel: store.Voice, SLThreshold: 15 * time.Second, SLTargetPercent: 90, MaxWait: 3 * time.Minute,
		Skills: []store.QueueSkill{{Skill: "vip", MinProficiency: 5}}},
	{ID: "fault-voice", Name: "故障报修 Fault reports (voice)", Channel: store.Voice, SLThreshold: 20 * time.Second, SLTargetPercent: 80, MaxWait: 5 * time.Minute,
		Skills: []store.QueueSkill{{Skill: "broadband", MinProficiency: 3}}},
	{ID: "english-voice", Name: "English service (voice)", Channel: store.Voice, SLThreshold: 20 * time.Second, SLTargetPercent: 80, MaxWait: 5 * time.Minute,
		Skills: []store.QueueSkill{{Skill: "english", MinProficiency: 3}}},
}

func sk(pairs ...any) []store.AgentSkill {
	out := make([]store.AgentSkill, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, store.AgentSkill{Skill: pairs[i].(string), Proficiency: pairs[i+1].(int)})
	}
	return out
}

var agents = []agentSeed{
	{"wang.fang", "王芳", auth.RoleAgent, sk("general", 8, "billing", 9, "mobile", 6)},
	{"li.qiang", "李强", auth.RoleAgent, sk("general", 7, "broadband", 9, "complaints", 5)},
	{"zhang.min", "张敏", auth.RoleAgent, sk("general", 9, "vip", 8, "billing", 7, "complaints", 8)},
	{"liu.yang", "刘洋", auth.RoleAgent, sk("general", 6, "english", 8, "mobile", 7)},
	{"chen.jing", "陈静", auth.RoleAgent, sk("general", 5, "broadband", 6, "billing", 5)},
	{"zhao.lei", "赵磊", auth.RoleAgent, sk("general", 7, "vip", 6, "english", 4)},
	{"sun.li", "孙丽 (班长 team lead)", auth.RoleSupervisor, sk("general", 9, "vip", 9, "complaints", 9)},
	{"admin", "系统管理员 Administrator", auth.RoleAdmin, nil},
}

var customers = []store.Customer{
	{ANI: "13300000001", Account: "0571-88000001", Name: "周杰 Zhou Jie", Tier: store.TierDiamond},
	{ANI: "13300000002", Account: "0571-88000002", Name: "吴霞 Wu Xia", Tier: store.TierGold},
	{ANI: "13300000003", Account: "0571-88000003", Name: "郑浩 Zheng Hao", Tier: store.TierSilver},
	{ANI: "13300000004", Account: "0571-88000004", Name: "冯雪 Feng Xue", Tier: store.TierStandard},
	{ANI: "13300000005", Account: "0571-88000005", Name: "何斌 He Bin", Tier: store.TierStandard},
	{ANI: "13300000006", Account: "0571-88000006", Name: "许晴 Xu Qing", Tier: store.TierGold},
	{ANI: "13300000007", Account: "0571-88000007", Name: "Emily Carter", Tier: store.TierStandard},
	{ANI: "13300000008", Account: "0571-88000008", Name: "马超 Ma Chao", Tier: store.TierSilver},
}

// Seed fills an empty store with the demo center and returns the accounts
// it created with their passwords. A store that already has agents is left
// alone (nil, nil), so restarts keep what people changed.
func Seed(ctx context.Context, st *store.Store, a *auth.Service, now time.Time) (*Seeded, error) {
	existing, err := st.Agents(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if len(existing) > 0 {
		return nil, nil
	}
	var seeded Seeded
	err = st.WithTx(ctx, func(tx *store.Store) error {
		for _, s := range skills {
			if err := tx.UpsertSkill(ctx, s); err != nil {
				return err
			}
		}
		for _, q := range queues {
			if err := tx.UpsertQueue(ctx, q, now); err != nil {
				return err
			}
		}
		due := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 14)
		for i, c := range customers {
			c.CreatedAt = now
			if _, err := tx.CreateCustomer(ctx, c); err != nil {
				return err
			}
			pin := digits(6)
			hash, err := a.Hasher().Hash(pin)
			if err != nil {
				return err
			}
			b := balances[i%len(balances)]
			if err := tx.UpsertAccount(ctx, store.Account{Account: c.Account, BalanceFen: b[0], BillFen: b[1],
				BillDue: &due, Points: b[2], ServicePasswordHash: hash, UpdatedAt: now}); err != nil {
				return err
			}
			seeded.Callers = append(seeded.Callers, Caller{ANI: c.ANI, Account: c.Account, Name: c.Name, Tier: c.Tier, PIN: pin})
		}
		for _, s := range agents {
			pw := password()
			hash, err := a.Hasher().Hash(pw)
			if err != nil {
				return err
			}
			ag, err := tx.CreateAgent(ctx, store.Agent{Login: s.login, DisplayName: s.name, Role: store.Role(s.role), PasswordHash: hash, CreatedAt: now})
			if err != nil {
				return err
			}
			if err := tx.SetAgentSkills(ctx, ag.ID, s.skills); err != nil {
				return err
			}
			// One team, led by sun.li: a supervisor acts on the agents
			// of their own teams (the board, administration).
			if s.role != auth.RoleAdmin {
				if err := tx.SetAgentTeams(ctx, ag.ID, []string{DemoTeam}); err != nil {
					return err
				}
			}
			seeded.Accounts = append(seeded.Accounts, Account{Login: s.login, Name: s.name, Role: s.role, Password: pw})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return &seeded, nil
}

// digits returns n random decimal digits (a service PIN).
func digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		var r [1]byte
		for {
			_, _ = rand.Read(r[:])
			if r[0] < 250 { // 25 × 10, no modulo bias
				break
			}
		}
		b[i] = '0' + r[0]%10
	}
	return string(b)
}

// password returns 12 characters from an alphabet without look-alikes
// (no 0/O, 1/l/I), easy to read off a terminal: about 70 bits.
func password() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	for i := range b {
		b[i] = alphabet[int(randByte())%len(alphabet)]
	}
	return string(b)
}

// randByte draws without modulo bias for the 54-letter alphabet.
func randByte() byte {
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if b[0] < 216 { // 4 × 54
			return b[0]
		}
	}
}

// Print writes the accounts and callers for the operator, once, at first
// start.
func Print(w io.Writer, s *Seeded, url string) {
	accounts := s.Accounts
	fmt.Fprintf(w, "\nHotline demo center seeded. These passwords are shown only now:\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  LOGIN\tROLE\tPASSWORD\tNAME")
	for _, a := range accounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Login, a.Role, a.Password, a.Name)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nDemo customers (call or chat as them; the IVR's password service asks for the PIN):\n\n")
	fmt.Fprintln(tw, "  CALLING NUMBER\tACCOUNT\tTIER\tPIN\tNAME")
	for _, c := range s.Callers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.ANI, c.Account, c.Tier, c.PIN, c.Name)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nLog in: curl -s %s/api/v1/auth/login -H 'Content-Type: application/json' -d '{\"login\":\"%s\",\"password\":\"…\"}'\n\n", url, accounts[0].Login)
}
