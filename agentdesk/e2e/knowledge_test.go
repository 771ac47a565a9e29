package e2e

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/knowledge"
)

// TestBrowserKnowledge: the agent's knowledge pane suggests an article
// from the customer's words, searches as the agent types, and sends a
// public article into the chat; the customer's page shows it rendered,
// with the script, handlers and javascript: link an editor pasted into it
// gone.
func TestBrowserKnowledge(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{OfferTimeout: 60 * time.Second, WrapUp: 60 * time.Second, Articles: []knowledge.Article{
		{ID: "broadband-down", Title: "宽带断网自助排查", Category: "故障/宽带", Tags: []string{"宽带", "断网"}, Lang: "zh",
			Audience: knowledge.Public, Status: knowledge.Published,
			Body: "1. 请先**重启光猫**，等待两分钟。\n2. 仍不能上网请拨打 10000。\n\n" +
				`<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>` + "\n\n[更多帮助](javascript:window.__xss=3)"},
		{ID: "roaming-intl", Title: "国际漫游开通与资费", Category: "资费/国际漫游", Tags: []string{"漫游", "出国"}, Lang: "zh",
			Audience: knowledge.Public, Status: knowledge.Published, Body: "出国前发送 KTMY 到 10001 开通国际漫游。"},
		{ID: "system-codes", Title: "营业系统宽带错误代码", Category: "内部/系统", Tags: []string{"宽带", "代码"}, Lang: "zh",
			Audience: knowledge.Agents, Status: knowledge.Published, Body: "E1001：工号未签到。"},
	}})
	runScript(t, s, "knowledge.mjs", "knowledge-desk.png", "knowledge-chat.png")
}
