package knowledge

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
)

// DefaultAnswerConfidence is the least Confidence an article needs before
// the chat flow's answer node offers it to a customer (knowledge.
// answer_min_confidence). It was chosen on the relevance suite and a set
// of off-topic questions (TestAnswerConfidenceSeparates): at 0.5 nearly
// every customer question whose best hit is a right answer passes, and
// off-topic questions, which still get hits on a shared word or two, do
// not.
const DefaultAnswerConfidence = 0.5

// Confidence says how much of a customer's question an article covers,
// from 0 to 1. The question is read as units: each Chinese character and
// each Latin word or number, filler (请问, 怎么办, how, my, ...) left out.
// A Chinese character is covered when the article has the character
// bigram it forms with its left or right neighbour in the question (one
// character alone counts only when it is the whole question); a Latin
// word when the article has it (stemmed, or one letter off for words of
// five letters or more). A synonym word of the question (Synonyms) is
// covered whole when the article uses any word of its group: "话废" is
// covered by an article on 话费. The result is the covered share of the
// units.
//
// It does not depend on the search backend or on the other articles, so
// one threshold means the same on the embedded index and on Meilisearch,
// whose scores are not comparable.
func Confidence(question string, a *Article) float64 {
	an := confAnalyzer()
	if an == nil {
		return 0
	}
	q := []rune(strings.ToLower(CleanText(question)))
	text := a.Title + "\n" + strings.Join(a.Tags, " ") + "\n" + PlainText(a.Body)
	have := map[string]bool{}
	var latin []string
	for _, tok := range an.Analyze([]byte(text)) {
		t := string(tok.Term)
		if !have[t] && tok.Type != analysis.Ideographic && tok.Type != analysis.Double && tok.Type != analysis.Single {
			latin = append(latin, t)
		}
		have[t] = true
	}
	filler := make([]bool, len(q))
	covered := make([]bool, len(q))
	mark := func(words []string, into []bool) {
		for _, w := range words {
			wr := []rune(strings.ToLower(w))
			for i := 0; i+len(wr) <= len(q); i++ {
				if equalRunes(q[i:i+len(wr)], wr) && (wr[0] >= 0x80 || (boundaryRune(q, i-1) && boundaryRune(q, i+len(wr)))) {
					for j := range wr {
						into[i+j] = true
					}
				}
			}
		}
	}
	mark(fillers, filler)
	groups := synonymGroups(text)
	for _, g := range synonymGroups(string(q)) {
		if containsInt(groups, g) {
			mark(Synonyms[g], covered)
		}
	}
	units, hit := 0, 0
	han := func(r rune) bool { return unicode.Is(unicode.Han, r) }
	for i := 0; i < len(q); {
		r := q[i]
		switch {
		case han(r):
			if !filler[i] {
				units++
				left := i > 0 && han(q[i-1]) && have[string(q[i-1:i+1])]
				right := i+1 < len(q) && han(q[i+1]) && have[string(q[i:i+2])]
				if covered[i] || left || right {
					hit++
				}
			}
			i++
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i
			for j < len(q) && (unicode.IsLetter(q[j]) || unicode.IsDigit(q[j])) && !han(q[j]) {
				j++
			}
			if !filler[i] {
				units++
				if covered[i] || latinCovered(an, string(q[i:j]), have, latin) {
					hit++
				}
			}
			i = j
		default:
			i++
		}
	}
	if units == 0 {
		return 0
	}
	// A lone character is found as itself.
	if units == 1 && hit == 0 {
		for i, r := range q {
			if han(r) && !filler[i] && have[string(r)] {
				hit = 1
			}
		}
	}
	return float64(hit) / float64(units)
}

// latinCovered: the article has every term of word w, each as analysed or
// one letter off when five letters or more.
func latinCovered(an analysis.Analyzer, w string, have map[string]bool, latin []string) bool {
	toks := an.Analyze([]byte(w))
	if len(toks) == 0 {
		return false
	}
	for _, tok := range toks {
		t := string(tok.Term)
		if have[t] || len(t) >= 5 && slices.ContainsFunc(latin, func(x string) bool {
			return len(x) >= len(t)-1 && len(x) <= len(t)+1 && within1(x, t)
		}) {
			continue
		}
		return false
	}
	return true
}

func equalRunes(a, b []rune) bool { return slices.Equal(a, b) }

// boundaryRune: q[i] does not continue a Latin word or number.
func boundaryRune(q []rune, i int) bool {
	return i < 0 || i >= len(q) || !(q[i] < 0x80 && (unicode.IsLetter(q[i]) || unicode.IsDigit(q[i])))
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// fillers are the words of a question that say nothing of its subject.
var fillers = []string{
	"请问", "你好", "您好", "怎么办", "怎么样", "怎么", "如何", "为什么", "为啥", "什么", "是不是", "能不能", "可不可以", "可以",
	"一下", "我的", "我们", "你们", "我想", "想要", "需要", "有没有", "多少", "哪里", "在哪", "咋办", "还能", "了吗", "的话",
	"了", "吗", "呢", "吧", "啊", "呀", "嘛", "哦", "的", "我", "你", "您",
	"how", "what", "why", "when", "where", "which", "who", "can", "could", "would", "should", "do", "does", "did",
	"is", "are", "was", "am", "be", "i", "me", "my", "you", "your", "we", "our", "it", "its", "a", "an", "the",
	"to", "of", "for", "in", "on", "at", "and", "or", "with", "please", "hi", "hello", "there", "this", "that",
}

var confOnce struct {
	sync.Once
	an analysis.Analyzer
}

// confAnalyzer is the indexes' analyzer; nil if it cannot be built
// (NewMemory would have failed first).
func confAnalyzer() analysis.Analyzer {
	confOnce.Do(func() {
		if im, err := newMapping(); err == nil {
			confOnce.an = im.AnalyzerNamed(analyzerName)
		}
	})
	return confOnce.an
}
