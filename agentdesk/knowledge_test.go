package agentdesk_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/knowledge"
)

// kbArticles: public, agents-only, draft, and one whose body an editor
// pasted a script into.
var kbArticles = []knowledge.Article{
	{ID: "roaming-intl", Title: "国际漫游开通与资费", Body: "出国前请开通**国际漫游**，发送 KTMY 到 10001。", Category: "资费/国际漫游",
		Tags: []string{"漫游", "出国"}, Lang: "zh", Audience: knowledge.Public, Status: knowledge.Published},
	{ID: "broadband-down", Title: "宽带断网自助排查", Body: "请先重启光猫。<script>alert(1)</script><img src=x onerror=alert(2)>",
		Category: "故障/宽带", Tags: []string{"宽带", "断网"}, Lang: "zh", Audience: knowledge.Public, Status: knowledge.Published},
	{ID: "system-codes", Title: "营业系统错误代码", Body: "E1001：工号未签到。", Category: "内部/系统", Tags: []string{"代码"},
		Lang: "zh", Audience: knowledge.Agents, Status: knowledge.Published},
	{ID: "roaming-draft", Title: "漫游新资费（草稿）", Body: "未发布。", Category: "资费/国际漫游", Tags: []string{"漫游"},
		Lang: "zh", Audience: knowledge.Public, Status: knowledge.Draft},
}

type kbResult struct {
	Total int `json:"total"`
	Hits  []struct {
		ID      string `json:"id"`
		Snippet string `json:"snippet"`
	} `json:"hits"`
}

func hitIDs(r kbResult) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

type articleMsg struct {
	msg
	Article *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		HTML  string `json:"html"`
	} `json:"article"`
}

// TestKnowledgePane: the agent searches, reads, gets suggestions from the
// customer's words and sends a public article into the chat; the customer
// receives it as sanitized HTML. Agents-only and unpublished articles never
// reach a customer.
func TestKnowledgePane(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{Articles: kbArticles})
	agent, cust, contact := readyAgentWithChat(t, s)
	do(t, cust, "chat.send", map[string]string{"msg_id": "q1", "text": "我下周出国，漫游怎么开通？"})
	wantMessage(t, agent, "customer")

	var res kbResult
	if err := json.Unmarshal(do(t, agent, "kb.search", map[string]any{"q": "漫游"}), &res); err != nil {
		t.Fatal(err)
	}
	if ids := hitIDs(res); len(ids) != 1 || ids[0] != "roaming-intl" {
		t.Fatalf("search 漫游: got %v, want the published article only", ids)
	}
	if err := json.Unmarshal(do(t, agent, "kb.search", map[string]any{"q": "错误代码"}), &res); err != nil {
		t.Fatal(err)
	}
	if ids := hitIDs(res); len(ids) == 0 || ids[0] != "system-codes" {
		t.Fatalf("agents find agents-only articles: got %v", ids)
	}
	// Query syntax and markup are text.
	if _, err := agent.Do("kb.search", map[string]any{"q": `title:x AND status:draft <script>`}, wait); err != nil {
		t.Fatalf("query syntax: %v", err)
	}
	_, err := agent.Do("kb.search", map[string]any{"q": "漫游", "limit": 500}, wait)
	wantCode(t, err, agentdesk.CodeInvalid)

	var art struct {
		HTML     string `json:"html"`
		Sendable bool   `json:"sendable"`
	}
	if err := json.Unmarshal(do(t, agent, "kb.article", map[string]any{"id": "broadband-down"}), &art); err != nil {
		t.Fatal(err)
	}
	if !art.Sendable || strings.Contains(art.HTML, "<script") || strings.Contains(art.HTML, "onerror") || !strings.Contains(art.HTML, "重启光猫") {
		t.Fatalf("article view: %+v, want sanitized HTML and sendable", art)
	}
	_, err = agent.Do("kb.article", map[string]any{"id": "roaming-draft"}, wait)
	wantCode(t, err, agentdesk.CodeNotFound) // an agent does not read drafts

	if err := json.Unmarshal(do(t, agent, "kb.suggest", map[string]any{"contact_id": contact}), &res); err != nil {
		t.Fatal(err)
	}
	if ids := hitIDs(res); len(ids) == 0 || ids[0] != "roaming-intl" {
		t.Fatalf("suggestions from the customer's words: got %v, want roaming-intl first", ids)
	}

	_, err = agent.Do("kb.send", map[string]any{"contact_id": contact, "article_id": "system-codes", "msg_id": "k0"}, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	_, err = agent.Do("kb.send", map[string]any{"contact_id": "chat-nope", "article_id": "roaming-intl", "msg_id": "k1"}, wait)
	wantCode(t, err, agentdesk.CodeNotFound)

	do(t, agent, "kb.send", map[string]any{"contact_id": contact, "article_id": "broadband-down", "msg_id": "k2"})
	for {
		var m articleMsg
		if _, err := cust.Want("chat.message", &m, wait); err != nil {
			t.Fatal(err)
		}
		if m.From != "agent" {
			continue
		}
		if m.Article == nil || m.Article.ID != "broadband-down" || m.Text != "宽带断网自助排查" {
			t.Fatalf("customer got %+v, want the article", m)
		}
		if strings.Contains(m.Article.HTML, "<script") || strings.Contains(m.Article.HTML, "onerror") || !strings.Contains(m.Article.HTML, "重启光猫") {
			t.Fatalf("article HTML not sanitized: %s", m.Article.HTML)
		}
		break
	}
	// A retry of the same message id sends nothing twice.
	do(t, agent, "kb.send", map[string]any{"contact_id": contact, "article_id": "broadband-down", "msg_id": "k2"})
	var snap struct {
		Chats []struct {
			Transcript []articleMsg `json:"transcript"`
		} `json:"chats"`
	}
	n := 0
	dialDesk2(t, s, "alice", &snap)
	for _, m := range snap.Chats[0].Transcript {
		if m.Article != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("articles in the transcript: %d, want 1", n)
	}
}

// dialDesk2 dials a second desk socket for login and decodes its snapshot.
func dialDesk2(t *testing.T, s *deskttest.Server, login string, snap any) *deskttest.Client {
	t.Helper()
	tok, err := s.Login(t.Context(), login)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := deskttest.Dial(t.Context(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if _, err := c.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Want("snapshot", snap, wait); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKnowledgeWithoutBase: the pane says the knowledge base is not there.
func TestKnowledgeWithoutBase(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent := dialDesk(t, s, "alice", "")
	_, err := agent.Do("kb.search", map[string]any{"q": "漫游"}, wait)
	wantCode(t, err, agentdesk.CodeUnavailable)
}

const answerFlow = `flow: ask
start: question
entries: ["web"]
nodes:
  question:
    kind: collect
    text: true
    prompt: kb.ask
    var: question
    min: 2
    max: 200
    exhausted: bye
    next: answer
  answer:
    kind: answer
    question: question
    prompt: kb.found
    buttons: {"1": kb.helped, "2": kb.not_helped}
    next: thanks
    not_found: bye
    else: bye
  thanks:
    kind: hangup
    prompt: kb.thanks
  bye:
    kind: hangup
    prompt: goodbye
`

// TestChatAnswersFromArticles: the chat flow's answer node shows the best
// public article as sanitized HTML with "this helped" / "talk to an
// agent"; "this helped" ends the chat.
func TestChatAnswersFromArticles(t *testing.T) {
	lib, err := ivr.LoadDir(fstest.MapFS{"f/ask.yaml": {Data: []byte(answerFlow)}}, "f")
	if err != nil {
		t.Fatal(err)
	}
	s := deskttest.New(t, deskttest.Options{Articles: kbArticles, Flows: lib})
	st := startChat(t, s, map[string]string{"name": "李四"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "q", "text": "家里宽带断网了怎么办"})
	for {
		var m articleMsg
		if _, err := cust.Want("chat.message", &m, wait); err != nil {
			t.Fatal(err)
		}
		if m.Article == nil {
			continue
		}
		if m.From != "bot" || m.Article.ID != "broadband-down" || strings.Contains(m.Article.HTML, "<script") || len(m.Buttons) != 2 {
			t.Fatalf("answer: %+v, want the broadband article, sanitized, with two buttons", m)
		}
		break
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "h", "text": "1"})
	if _, err := cust.Want("chat.ended", nil, wait); err != nil {
		t.Fatal(err)
	}
}

// TestChatAnswerNeedsConfidence: a question the best article covers too
// little of (it shares one word with the roaming article) gets no article:
// the answer node takes not_found and the flow goes on.
func TestChatAnswerNeedsConfidence(t *testing.T) {
	lib, err := ivr.LoadDir(fstest.MapFS{"f/ask.yaml": {Data: []byte(answerFlow)}}, "f")
	if err != nil {
		t.Fatal(err)
	}
	s := deskttest.New(t, deskttest.Options{Articles: kbArticles, Flows: lib})
	// The search alone finds the roaming article.
	if res, err := s.Knowledge.Search(t.Context(), knowledge.Query{Text: "出国旅游带什么衣服好", Audience: knowledge.Public}); err != nil ||
		len(res.Hits) == 0 || res.Hits[0].ID != "roaming-intl" {
		t.Fatalf("search: %+v %v, want the roaming article first", res, err)
	}
	st := startChat(t, s, map[string]string{"name": "李四"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "q", "text": "出国旅游带什么衣服好"})
	for {
		f, err := cust.Next(wait)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == "chat.ended" {
			break
		}
		var m articleMsg
		if f.Type == "chat.message" && json.Unmarshal(f.Data, &m) == nil && m.Article != nil {
			t.Fatalf("an off-topic question was answered with %+v", m.Article)
		}
	}
}

// TestChatAnswerInCustomersLanguage: the best answer is a Chinese article
// with a linked English version; a customer chatting in English is shown
// the English one.
func TestChatAnswerInCustomersLanguage(t *testing.T) {
	lib, err := ivr.LoadDir(fstest.MapFS{"f/ask.yaml": {Data: []byte(answerFlow)}}, "f")
	if err != nil {
		t.Fatal(err)
	}
	arts := slices.Clone(kbArticles)
	arts[0].Linked = "roaming-intl-en"
	arts = append(arts, knowledge.Article{ID: "roaming-intl-en", Title: "International roaming", Linked: "roaming-intl",
		Body: "Turn on **international roaming** before you travel: send KTMY to 10001.", Category: "资费/国际漫游",
		Lang: "en", Audience: knowledge.Public, Status: knowledge.Published})
	s := deskttest.New(t, deskttest.Options{Articles: arts, Flows: lib})
	st := startChat(t, s, map[string]string{"name": "Li", "lang": "en"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "q", "text": "怎么开通国际漫游"})
	for {
		var m articleMsg
		if _, err := cust.Want("chat.message", &m, wait); err != nil {
			t.Fatal(err)
		}
		if m.Article == nil {
			continue
		}
		if m.Article.ID != "roaming-intl-en" || !strings.Contains(m.Article.HTML, "<strong>international roaming</strong>") {
			t.Fatalf("answer: %+v, want the English version", m.Article)
		}
		break
	}
}
