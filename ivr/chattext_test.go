package ivr

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestChatText: chat renders the same flow as chat, not as a phone: no
// "请按" or hash key, digits as digits, punctuation between prompts.
func TestChatText(t *testing.T) {
	cat, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	p := func(id string) Item { return Item{Prompt: id} }
	say := func(k SayKind, v string) Item { return Item{Say: k, Value: v} }
	for _, tc := range []struct {
		lang  string
		items []Item
		want  string
	}{
		{"zh", []Item{p("balance.is"), say(SayMoney, "10.00"), p("bill.is"), say(SayMoney, "20.50"), p("bill.due"), say(SayDate, "2026-12-31")},
			"您的账户余额为10.00元，本期账单金额为20.50元，缴费截止日期为2026年12月31日。"},
		{"en", []Item{p("balance.is"), say(SayMoney, "10.00"), p("bill.is"), say(SayMoney, "20.50"), p("bill.due"), say(SayDate, "2026-12-31")},
			"Your balance is ¥10.00. Your current bill is ¥20.50, due on 31 December 2026."},
		{"zh", []Item{p("ticket.created"), say(SayDigits, "T100001")}, "您的报修已受理，工单号：T100001。"},
		{"zh", []Item{p("queue.position"), say(SayNumber, "3"), p("queue.position_unit"), p("queue.wait"), say(SayNumber, "5"), p("queue.minutes")},
			"您当前排在第3位，预计等待时间5分钟。"},
		{"en", []Item{p("queue.position"), say(SayNumber, "3"), p("queue.position_unit"), p("queue.wait"), say(SayNumber, "5"), p("queue.minutes")},
			"You are number 3 in the queue. The expected wait is 5 minutes."},
		{"zh", []Item{p("menu.invalid"), p("account.not_found")}, "您的输入有误。未找到该账号。"},
		{"zh", []Item{p("points.are"), say(SayNumber, "3")}, "您的可用积分为3。"},
	} {
		got := Utterance{Lang: tc.lang, Items: tc.items, Prompts: cat}.Text()
		if got != tc.want {
			t.Errorf("%s %v: got %q, want %q", tc.lang, tc.items, got, tc.want)
		}
	}
	u := Utterance{Lang: "zh", Items: []Item{p("ticket.created"), say(SayDigits, "T100001")}, Prompts: cat}
	if got := u.Copyable(); !slices.Equal(got, []string{"T100001"}) {
		t.Errorf("copyable: got %v, want the ticket number", got)
	}
}

// TestChatWordingNoKeys: no chat text of a prompt tells the customer to
// press a key or end with the hash key.
func TestChatWordingNoKeys(t *testing.T) {
	cat, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		for id := range cat.text[lang] {
			if strings.HasPrefix(id, "n.") || strings.HasPrefix(id, "d.") || strings.HasPrefix(id, "c.") {
				continue
			}
			txt, _ := cat.ChatText(lang, id)
			for _, bad := range []string{"请按", "井号", "press ", "hash key", "press star", "the star key"} {
				if strings.Contains(txt, bad) {
					t.Errorf("%s %s: chat text %q says %q", lang, id, txt, bad)
				}
			}
		}
	}
}

// TestChatWordingNeedsVoicePrompt: a chat wording of an unknown prompt is
// a load error naming the file and line.
func TestChatWordingNeedsVoicePrompt(t *testing.T) {
	fsys := fstest.MapFS{
		"p/zh.tsv":      {Data: []byte("hi\t你好\n")},
		"p/zh.chat.tsv": {Data: []byte("hi\t您好\nbye\t再见\n")},
	}
	_, err := LoadCatalog(fsys, "p")
	if err == nil || !strings.Contains(err.Error(), "zh.chat.tsv:2") {
		t.Fatalf("got %v, want an error at zh.chat.tsv:2", err)
	}
	cat, err := LoadCatalog(fstest.MapFS{"p/zh.tsv": {Data: []byte("hi\t你好\n")}, "p/zh.chat.tsv": {Data: []byte("hi\t您好\n")}}, "p")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := cat.ChatText("zh", "hi"); v != "您好" {
		t.Errorf("chat text: got %q", v)
	}
	if v, _ := cat.Text("zh", "hi"); v != "你好" {
		t.Errorf("voice text: got %q", v)
	}
}

// TestChatLanguageSwitch: the customer's language button on the widget
// makes the flow speak that language from its next prompt.
func TestChatLanguageSwitch(t *testing.T) {
	lib, err := LoadDir(fstest.MapFS{"f/main.yaml": {Data: []byte("flow: main\nstart: hi\nnodes:\n  hi:\n    kind: hangup\n    prompt: goodbye\n")}}, "f")
	if err != nil {
		t.Fatal(err)
	}
	log := &chatLog{}
	ch := NewChatChannel(log, SystemClock{})
	ch.SetLang("en")
	if _, err := NewRunner(lib, Config{}).Run(t.Context(), Contact{ID: "c", Lang: "zh"}, ch); err != nil {
		t.Fatal(err)
	}
	if len(log.msgs) == 0 || log.msgs[0].Text != "Thank you for contacting us. Goodbye." {
		t.Fatalf("got %+v, want the English goodbye", log.msgs)
	}
}
