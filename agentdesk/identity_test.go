package agentdesk_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/flows"
)

// smsSink is a test SMS gateway: it keeps what it was asked to send.
type smsSink struct {
	mu   sync.Mutex
	sent []ticket.Message
	wake chan struct{}
}

func newSMSSink() *smsSink { return &smsSink{wake: make(chan struct{}, 16)} }

func (s *smsSink) Notify(_ context.Context, m ticket.Message) (string, error) {
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	s.wake <- struct{}{}
	return "sms-1", nil
}

var sixDigits = regexp.MustCompile(`\d{6}`)

// code waits for the next SMS to phone and returns the code in it.
func (s *smsSink) code(t *testing.T, phone string) string {
	t.Helper()
	select {
	case <-s.wake:
	case <-time.After(wait):
		t.Fatal("no SMS sent")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.sent[len(s.sent)-1]
	if m.To != phone || m.Medium != ticket.BySMS {
		t.Fatalf("SMS %+v, want one to %s", m, phone)
	}
	return sixDigits.FindString(m.Body)
}

func shippedFlows(t *testing.T) *ivr.Library {
	t.Helper()
	lib, err := ivr.LoadDir(flows.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func seedCustomer(t *testing.T, s *deskttest.Server, phone, account string, pin string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Store.CreateCustomer(ctx, store.Customer{ANI: phone, Account: account, Name: "张三", Tier: store.TierGold}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	a := store.Account{Account: account, BalanceFen: 12345, BillFen: 8800, BillDue: &due, Points: 321}
	if pin != "" {
		h, err := s.Auth.Hasher().Hash(pin)
		if err != nil {
			t.Fatal(err)
		}
		a.ServicePasswordHash = h
	}
	if err := s.Store.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
}

// botSays sends text and returns the bot's messages until one has
// buttons or asks for input again (the next prompt), collecting all the
// customer's frames into seen.
func botUntil(t *testing.T, c *deskttest.Client, seen *strings.Builder, want ...string) string {
	t.Helper()
	var all strings.Builder
	for {
		var m msg
		f, err := c.Want("chat.message", &m, wait)
		if err != nil {
			t.Fatalf("waiting for the bot to say %q (said %q): %v", want, all.String(), err)
		}
		seen.Write(f.Data)
		if m.From == "bot" {
			all.WriteString(m.Text + "\n")
			for _, w := range want {
				if strings.Contains(m.Text, w) {
					return all.String()
				}
			}
		}
	}
}

// openMenu reads the chat's snapshot and waits for the main menu.
func openMenu(t *testing.T, c *deskttest.Client, seen *strings.Builder) {
	t.Helper()
	var snap struct {
		Transcript []msg `json:"transcript"`
	}
	f, err := c.Want("snapshot", &snap, wait)
	if err != nil {
		t.Fatal(err)
	}
	seen.Write(f.Data)
	for _, m := range snap.Transcript {
		if m.From == "bot" && strings.Contains(m.Text, "请选择") {
			return
		}
	}
	botUntil(t, c, seen, "请选择")
}

type panelView struct {
	Verified string `json:"verified"`
	Known    bool   `json:"known"`
	Account  string `json:"account"`
	Tier     string `json:"tier"`
	Customer struct {
		Phone string `json:"phone"`
	} `json:"customer"`
	Contacts []json.RawMessage `json:"contacts"`
	Tickets  []json.RawMessage `json:"tickets"`
}

// TestUnverifiedChatGetsNoAccountData: typing another customer's number
// into the chat form shows nothing of their account — not to the
// customer, not on the agent's panel — until an SMS code sent to that
// number comes back; then the balance and the full panel.
func TestUnverifiedChatGetsNoAccountData(t *testing.T) {
	sms := newSMSSink()
	s := deskttest.New(t, deskttest.Options{Flows: shippedFlows(t), SMS: sms})
	seedCustomer(t, s, "13900000001", "A100", "")
	if _, err := s.Store.CreateContact(context.Background(), store.Contact{Channel: store.Voice, ANI: "13900000001", EntryPoint: "10000",
		StartedAt: time.Now().Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sam := dialDesk(t, s, "sam", "")
	st := startChat(t, s, map[string]string{"name": "张三", "phone": "139 0000 0001"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	openMenu(t, cust, &seen)

	var p panelView
	if err := json.Unmarshal(do(t, sam, "customer.get", map[string]string{"contact_id": st.Contact}), &p); err != nil {
		t.Fatal(err)
	}
	if p.Verified != "none" || p.Known || p.Account != "" || p.Tier != "gold" || len(p.Contacts) != 0 || len(p.Tickets) != 0 {
		t.Fatalf("unverified panel %+v, want a claim: tier only, no account, contacts or tickets", p)
	}

	do(t, cust, "chat.send", map[string]string{"msg_id": "b", "text": "1"})
	said := botUntil(t, cust, &seen, "验证码")
	code := sms.code(t, "13900000001")
	if len(code) != 6 {
		t.Fatalf("SMS without a code: %+v", sms.sent)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "w", "text": wrong})
	said += botUntil(t, cust, &seen, "不正确")
	if strings.Contains(said, "123.45") || strings.Contains(said, "余额为") {
		t.Fatalf("the unverified chat was told the balance:\n%s", said)
	}
	botUntil(t, cust, &seen, "验证码")
	do(t, cust, "chat.send", map[string]string{"msg_id": "c", "text": code})
	said = botUntil(t, cust, &seen, "余额")
	if !strings.Contains(said, "您的账户余额为123.45元，本期账单金额为88.00元，缴费截止日期为2026年12月31日。") {
		t.Fatalf("after the code: %q, want the balance as chat text", said)
	}
	if strings.Contains(seen.String(), code) || strings.Contains(seen.String(), wrong) {
		t.Errorf("a code the customer typed appears in the chat: %s", seen.String())
	}
	if err := json.Unmarshal(do(t, sam, "customer.get", map[string]string{"contact_id": st.Contact}), &p); err != nil {
		t.Fatal(err)
	}
	if p.Verified != "otp" || !p.Known || p.Account != "A100" || len(p.Contacts) != 1 {
		t.Fatalf("verified panel %+v, want the customer A100 proved by otp with the past call", p)
	}
	// The code is spent.
	if _, err := s.Store.VerificationCodeOf(context.Background(), st.Contact); err == nil {
		t.Error("the used code is still stored")
	}
	// The contact record keeps how the customer proved who they are.
	if v, err := s.Store.ContactVerificationOf(context.Background(), st.Contact); err != nil || v.Level != "otp" {
		t.Errorf("contact verification: got %+v, %v; want otp", v, err)
	}
	// Both panels shown are in the audit trail: who saw which customer's record.
	cu, err := s.Store.CustomerByANI(context.Background(), "13900000001")
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Audit.List(context.Background(), audit.Query{SubjectKind: audit.KindCustomer, SubjectID: cu.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 2 {
		t.Fatalf("audit trail of the customer: got %+v, want the two panel views", page.Records)
	}
	for i, want := range []string{"otp", "none"} {
		r := page.Records[i]
		if r.Action != audit.ActionCustomerView || r.Actor != s.Accounts["sam"].ID || r.ActorRole != "supervisor" || r.Address == "" ||
			!strings.Contains(string(r.After), `"verified":"`+want+`"`) || !strings.Contains(string(r.After), st.Contact) {
			t.Errorf("audit record %d: %+v %s", i, r, r.After)
		}
	}
}

// TestPINLockSpansChats: wrong service PINs count per account across
// chats; a new chat does not get fresh tries, even with the right PIN.
func TestPINLockSpansChats(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{Flows: shippedFlows(t)})
	seedCustomer(t, s, "13900000002", "100200", "246810")
	try := func(pins ...string) string {
		st := startChat(t, s, map[string]string{})
		cust := dialChat(t, s, st.Token)
		if _, err := cust.Hello("", "", 0); err != nil {
			t.Fatal(err)
		}
		var seen strings.Builder
		openMenu(t, cust, &seen)
		do(t, cust, "chat.send", map[string]string{"msg_id": "3", "text": "3"})
		botUntil(t, cust, &seen, "账号")
		do(t, cust, "chat.send", map[string]string{"msg_id": "a", "text": "100200"})
		botUntil(t, cust, &seen, "服务密码")
		var said string
		for i, pin := range pins {
			do(t, cust, "chat.send", map[string]string{"msg_id": "p" + string(rune('0'+i)), "text": pin})
			if i < len(pins)-1 {
				botUntil(t, cust, &seen, "请输入您的6位服务密码")
			} else {
				said = botUntil(t, cust, &seen, "次数过多", "新的")
			}
		}
		cust.Close()
		return said
	}
	if got := try("000001", "000002", "000003"); !strings.Contains(got, "次数过多") {
		t.Fatalf("third wrong PIN: %q, want locked", got)
	}
	// Five failures in the window (the default limit) lock the account:
	// the second chat's second wrong PIN.
	if got := try("000004", "000005"); !strings.Contains(got, "次数过多") {
		t.Fatalf("fifth wrong PIN, in another chat: %q, want locked", got)
	}
	if got := try("246810"); !strings.Contains(got, "次数过多") || strings.Contains(got, "新的") {
		t.Fatalf("a third chat with the right PIN: %q, want still locked", got)
	}
	g, err := s.Store.PINGuardOf(context.Background(), "100200")
	if err != nil || !g.Locked(time.Now()) {
		t.Fatalf("guard %+v %v, want locked in the store", g, err)
	}
}

// TestRestoredChatKeepsVerification: a chat kept over a restart comes back
// with what its customer proved, so the desk does not lose the badge (nor
// ever gains one).
func TestRestoredChatKeepsVerification(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	aliceID := s.Accounts["alice"].ID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.ACD.Login(ctx, acd.AgentSpec{ID: aliceID, Skills: map[string]int{"general": 5}}))
	must(s.ACD.SetReady(ctx, aliceID))
	for _, id := range []string{"chat-proved", "chat-claim"} {
		must(s.ACD.Enqueue(ctx, acd.ContactSpec{ID: id, Queue: "general", Channel: acd.Chat}))
		must(s.ACD.Accept(ctx, aliceID, id))
		must(s.ACD.Connected(ctx, id))
	}
	keep := func(token string, extra map[string]any) json.RawMessage {
		sum := sha256.Sum256([]byte(token))
		k := map[string]any{"token_hash": hex.EncodeToString(sum[:]), "queue": "general", "agent_id": aliceID,
			"customer": map[string]string{"phone": "13900000001"}}
		for key, v := range extra {
			k[key] = v
		}
		b, _ := json.Marshal(k)
		return b
	}
	s.Gateway.Restore(map[string]json.RawMessage{
		"chat-proved": keep("t1", map[string]any{"verified": "otp", "verified_phone": "13900000001", "verified_account": "A100"}),
		"chat-claim":  keep("t2", nil),
	})
	tok, err := s.Login(ctx, "alice")
	must(err)
	again, _, err := deskttest.Dial(ctx, s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	must(err)
	t.Cleanup(again.Close)
	if _, err := again.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Chats []struct {
			Contact  string `json:"contact_id"`
			Verified string `json:"verified"`
			Customer struct {
				Phone string `json:"phone"`
			} `json:"customer"`
		} `json:"chats"`
	}
	if _, err := again.Want("snapshot", &snap, wait); err != nil || len(snap.Chats) != 2 {
		t.Fatalf("snapshot %+v %v, want both chats", snap, err)
	}
	for _, c := range snap.Chats {
		want, phone := "none", "139****0001"
		if c.Contact == "chat-proved" {
			want, phone = "otp", "13900000001"
		}
		if c.Verified != want || c.Customer.Phone != phone {
			t.Errorf("%s: verified %q phone %q, want %q %q", c.Contact, c.Verified, c.Customer.Phone, want, phone)
		}
	}
}

// TestUnlockPIN: a locked service PIN is lifted from the desk only for a
// customer who proved the number by SMS code, and only by the agent
// holding the chat or a supervisor.
func TestUnlockPIN(t *testing.T) {
	sms := newSMSSink()
	s := deskttest.New(t, deskttest.Options{Flows: shippedFlows(t).AlwaysOpen(), SMS: sms})
	ctx := context.Background()
	seedCustomer(t, s, "13900000001", "A100", "246810")
	for range 6 {
		if _, _, err := s.Store.ReservePINAttempt(ctx, "A100", time.Now(), time.Hour, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	sam := dialDesk(t, s, "sam", "")
	alice := dialDesk(t, s, "alice", "")
	st := startChat(t, s, map[string]string{"phone": "13900000001"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	openMenu(t, cust, &seen)
	unlock := func(c *deskttest.Client) error {
		_, err := c.Do("customer.unlock_pin", map[string]string{"contact_id": st.Contact}, wait)
		return err
	}
	wantCode(t, unlock(sam), agentdesk.CodeConflict) // the number is only a claim
	do(t, cust, "chat.send", map[string]string{"msg_id": "b", "text": "2"})
	botUntil(t, cust, &seen, "验证码")
	do(t, cust, "chat.send", map[string]string{"msg_id": "c", "text": sms.code(t, "13900000001")})
	botUntil(t, cust, &seen, "积分")
	wantCode(t, unlock(alice), agentdesk.CodeForbidden) // not her chat
	if g, _ := s.Store.PINGuardOf(ctx, "A100"); !g.Locked(time.Now()) {
		t.Fatal("the PIN should still be locked")
	}
	if err := unlock(sam); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Store.PINGuardOf(ctx, "A100"); err != nil || g.Locked(time.Now()) || g.Failures != 0 {
		t.Fatalf("guard %+v %v, want cleared", g, err)
	}
}
