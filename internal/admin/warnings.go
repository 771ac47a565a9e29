package admin

// Warning is a change that was accepted but looks wrong or is not applied
// yet: Code is stable for programs (and the page, which says it in the
// user's language), Field names the request field it concerns as an error
// would, Message says it in English. The codes are listed in
// docs/administration.md ("Warnings").
type Warning struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// The warning codes.
const (
	// WarnNoAgentHasSkills: no enabled agent qualifies for the queue, even
	// at its most relaxed step (queues).
	WarnNoAgentHasSkills = "no_agent_has_skills"
	// WarnTeamHasNoAgents: no enabled agent is in the announcement's team.
	WarnTeamHasNoAgents = "team_has_no_agents"
	// WarnCapacityAtNextLogin: the agent holds more contacts than the new
	// capacity allows; it applies at the agent's next login.
	WarnCapacityAtNextLogin = "capacity_at_next_login"
	// WarnNotAppliedToRouting: the running ACD did not take the change; it
	// applies at the agent's next login.
	WarnNotAppliedToRouting = "not_applied_to_routing"
	// WarnNoFlowLeadsHere: no node of the serving flows transfers to the
	// queue and no queue overflows to it (queues).
	WarnNoFlowLeadsHere = "no_flow_leads_here"
)

// warningCodes are every code the API answers (tested against the docs and
// the page's translations).
var warningCodes = []string{WarnNoAgentHasSkills, WarnTeamHasNoAgents, WarnCapacityAtNextLogin, WarnNotAppliedToRouting, WarnNoFlowLeadsHere}
