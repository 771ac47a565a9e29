package knowledge_test

import (
	"slices"
	"testing"

	"github.com/hotline10000/hotline/knowledge"
)

// offTopic are questions a chat customer may type that no telecom
// article answers: the answer node must leave them to an agent.
var offTopic = []string{
	"今天天气怎么样", "明天会下雨吗", "附近有什么好吃的", "帮我订一张去北京的火车票", "你是机器人吗", "股票怎么买",
	"我要点外卖", "讲个笑话", "推荐一部电影", "孩子发烧了怎么办", "怎么减肥", "猫咪不吃饭", "高考成绩什么时候出",
	"医院几点开门", "快递到哪了", "银行卡被冻结了", "社保怎么交", "房子漏水找谁", "车子年检要带什么", "狗狗掉毛",
	"红烧肉怎么做", "世界杯谁赢了", "帮我写一首诗", "信用卡还款日是哪天", "护照过期了怎么办", "找工作",
	"淘宝退货流程", "微信红包怎么发", "加油站在哪", "电费怎么交", "水管坏了", "我想学英语", "哈哈哈哈",
	"what's the weather like today", "tell me a joke", "who won the football game", "how do I bake bread",
	"book a flight to Beijing", "asdfghjkl", "recommend a good movie", "where is the nearest hospital",
	"my cat is sick", "how to learn piano",
}

// TestAnswerConfidenceSeparates: at DefaultAnswerConfidence, the chat
// answer node offers the right article for customers' questions and
// leaves off-topic questions to an agent.
func TestAnswerConfidenceSeparates(t *testing.T) {
	m := demoMemory(t)
	as, err := knowledge.DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*knowledge.Article{}
	for i := range as {
		byID[as[i].ID] = &as[i]
	}
	top := func(q string) (*knowledge.Article, bool) {
		res, err := m.Search(ctx, knowledge.Query{Text: q, Audience: knowledge.Public, At: searchAt, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 {
			return nil, false
		}
		return byID[res.Hits[0].ID], true
	}
	threshold := knowledge.DefaultAnswerConfidence
	var right, rightPass int
	for _, q := range readJudged(t) {
		a, ok := top(q.query)
		if !ok || !slices.Contains(q.relevant, a.ID) {
			continue
		}
		right++
		c := knowledge.Confidence(q.query, a)
		if c >= threshold {
			rightPass++
		} else {
			t.Logf("right answer held back: [%s] %q -> %s (%.2f)", q.kind, q.query, a.ID, c)
		}
	}
	var junk, junkHeld int
	for _, q := range offTopic {
		a, ok := top(q)
		if !ok {
			junk++
			junkHeld++
			continue
		}
		junk++
		c := knowledge.Confidence(q, a)
		if c < threshold {
			junkHeld++
		} else {
			t.Logf("off-topic answered: %q -> %s (%.2f)", q, a.ID, c)
		}
	}
	t.Logf("right answers offered %d of %d; off-topic held back %d of %d", rightPass, right, junkHeld, junk)
	if float64(rightPass) < 0.9*float64(right) {
		t.Errorf("only %d of %d right answers pass %.2f", rightPass, right, threshold)
	}
	if float64(junkHeld) < 0.9*float64(junk) {
		t.Errorf("only %d of %d off-topic questions held back at %.2f", junkHeld, junk, threshold)
	}
}

func TestConfidence(t *testing.T) {
	a := &knowledge.Article{Title: "话费查询", Body: "发送短信 **CXHF** 到 10000 查询本月话费。", Tags: []string{"账单"}}
	for _, c := range []struct {
		q        string
		min, max float64
	}{
		{"怎么查话费", 0.6, 0.7}, // 怎么 is filler; 话费 is covered, 查 is not
		{"话废怎么查", 0.6, 0.7}, // the typo is a synonym of 话费
		{"今天天气怎么样", 0, 0},   // nothing of it
		{"", 0, 0},          // nothing to cover
		{"怎么办", 0, 0},       // only filler
		{"cxhf", 1, 1},      // a code, any case
		{"费", 1, 1},         // one character
		{"<script>话费</script>", 0.3, 1},
	} {
		got := knowledge.Confidence(c.q, a)
		if got < c.min || got > c.max {
			t.Errorf("Confidence(%q) = %.2f, want %.2f..%.2f", c.q, got, c.min, c.max)
		}
	}
}
