package knowledge

import "strings"

// Synonyms is the telecom dictionary: each group holds words customers and
// agents use for the same thing, including common wrong characters and
// homophones typed with pinyin input. A query containing any member is
// also searched with the group's first member (its canonical word) and the
// others. The Meilisearch adapter sends the same groups as index synonyms.
var Synonyms = [][]string{
	{"话费", "电话费", "话废", "花费", "费用", "扣费", "扣钱", "扣了钱", "charge", "charges", "bill"},
	{"宽带", "宽代", "网络", "网速", "网断", "断网", "上不了网", "光纤", "光猫", "wifi", "broadband", "internet"},
	{"光猫", "光貓", "猫", "modem", "ont", "路由器", "router"},
	{"故障", "坏了", "不能用", "用不了", "报修", "报障", "fault", "outage", "not working"},
	{"漫游", "出国", "境外", "国外", "港澳台", "roaming", "abroad", "overseas"},
	{"携号转网", "携号专网", "转网", "转运营商", "换运营商", "带号转网", "number porting", "port", "porting"},
	{"发票", "票据", "报销", "电子发票", "invoice", "receipt", "fapiao"},
	{"套餐", "资费", "月租", "plan", "package", "tariff"},
	{"5g", "五g", "5G套餐", "five g"},
	{"流量", "上网流量", "数据", "data", "traffic"},
	{"密码", "服务密码", "pin", "password"},
	{"重置", "忘记", "找回", "忘了", "reset", "forgot", "forgotten"},
	{"停机", "欠费停机", "停了", "打不出去", "suspended", "suspension", "disconnected"},
	{"缴费", "充值", "交费", "交钱", "充钱", "top up", "top-up", "recharge", "pay"},
	{"销户", "注销", "拆机", "cancel", "close account", "terminate"},
	{"信号", "没信号", "信号差", "signal", "coverage", "no service"},
	{"补卡", "换卡", "sim卡", "sim", "掉卡", "丢卡", "replace sim"},
	{"骚扰", "诈骗", "垃圾短信", "spam", "scam", "fraud"},
	{"投诉", "不满意", "complain", "complaint"},
	{"实名", "实名制", "身份证", "real-name", "id card"},
	{"国际长途", "国际电话", "international call", "idd"},
	{"副卡", "亲情号", "家庭", "family", "secondary"},
}

// Expand returns the synonyms of what text contains, members of every group
// a member of which text contains, without those already in text.
func Expand(text string) []string {
	lower := strings.ToLower(text)
	var out []string
	seen := map[string]bool{}
	for _, g := range Synonyms {
		hit := false
		for _, w := range g {
			if containsWord(lower, strings.ToLower(w)) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		for _, w := range g {
			lw := strings.ToLower(w)
			if !seen[lw] && !strings.Contains(lower, lw) {
				seen[lw] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// containsWord finds w in s; a Latin w must stand as a whole word so "pin"
// does not fire inside "shopping".
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	latin := w[0] < 0x80
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if !latin || (boundary(s, j-1) && boundary(s, j+len(w))) {
			return true
		}
		i = j + 1
	}
}

func boundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
}

// synonymGroups returns the indexes in Synonyms of the groups a member of
// which text contains (a Latin member as a whole word).
func synonymGroups(text string) []int {
	lower := strings.ToLower(text)
	var out []int
	for i, g := range Synonyms {
		for _, w := range g {
			if containsWord(lower, strings.ToLower(w)) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}
