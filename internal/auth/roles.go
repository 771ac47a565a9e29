package auth

import "github.com/hotline10000/hotline/internal/store"

// Role is what a principal is. Agent, supervisor and admin are people;
// integration is an outside system holding an API key.
type Role string

const (
	RoleAgent       Role = Role(store.RoleAgent)
	RoleSupervisor  Role = Role(store.RoleSupervisor)
	RoleAdmin       Role = Role(store.RoleAdmin)
	RoleIntegration Role = "integration"
)

// Permission is one thing an entry point may require.
type Permission string

const (
	PermDesk         Permission = "desk"          // work contacts on the agent desktop
	PermTickets      Permission = "tickets"       // create and work tickets
	PermTicketsAdmin Permission = "tickets.admin" // dispatch, merge, configure ticket rules
	PermBoard        Permission = "board"         // see the supervisor board and every agent's state
	PermSupervise    Permission = "supervise"     // force states, log agents out, move contacts, change skills
	PermAgentsRead   Permission = "agents.read"   // list agents
	PermAgentsManage Permission = "agents.manage" // create agents, reset passwords, disable accounts
	PermAPIKeys      Permission = "apikeys"       // issue and revoke API keys
	PermMetrics      Permission = "metrics"       // read KPIs and reports
	PermConfigure    Permission = "configure"     // reload flows and other center configuration
	PermKB           Permission = "kb"            // search and read every knowledge base article
	PermKBEdit       Permission = "kb.edit"       // write, publish and restore knowledge base articles
	PermAudit        Permission = "audit"         // read the audit trail (who viewed, exported or changed what)
	PermExportClear  Permission = "export.clear"  // export customers' phone numbers in clear (CSV)
)

// grants is the whole policy. Roles do not inherit implicitly: each line
// says everything the role may do.
var grants = map[Role][]Permission{
	RoleAgent:       {PermDesk, PermTickets, PermKB},
	RoleSupervisor:  {PermDesk, PermTickets, PermTicketsAdmin, PermBoard, PermSupervise, PermAgentsRead, PermMetrics, PermKB, PermKBEdit, PermAudit},
	RoleAdmin:       {PermDesk, PermTickets, PermTicketsAdmin, PermBoard, PermSupervise, PermAgentsRead, PermAgentsManage, PermAPIKeys, PermMetrics, PermConfigure, PermKB, PermKBEdit, PermAudit, PermExportClear},
	RoleIntegration: {PermTickets, PermAgentsRead, PermMetrics, PermKB},
}

// Can reports whether role r has permission p.
func (r Role) Can(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := grants[r]; return ok }
