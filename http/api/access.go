package api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"hive/actors/token"
	"hive/http/dashboard"
)

// access is who may call each /v1 route, by method and route pattern.
// Admin tokens may call every route; a route without a rule is admin-only
// (and TestEveryRouteHasAnAccessRule fails). Agent tokens act only as their
// own agent: where a rule lets them in, it says where the agent they act as
// is named (the path's :id, or agent_id in the body).
var access = map[string]rule{
	"POST /v1/agents":                               {roles: operate},
	"GET /v1/agents":                                {roles: read},
	"GET /v1/agents/:id":                            {roles: readOrSelf, agent: inPath},
	"POST /v1/agents/:id/heartbeat":                 {roles: self, agent: inPath},
	"POST /v1/agents/:id/drain":                     {roles: operateOrSelf, agent: inPath},
	"DELETE /v1/agents/:id":                         {roles: operate},
	"GET /v1/agents/:id/tasks":                      {roles: readOrSelf, agent: inPath},
	"GET /v1/agents/:id/assignments":                {roles: readOrSelf, agent: inPath},
	"GET /v1/agents/:id/assignments/stream":         {roles: readOrSelf, agent: inPath},
	"POST /v1/swarms":                               {roles: operate},
	"GET /v1/swarms":                                {roles: read},
	"GET /v1/swarms/:id":                            {roles: read},
	"PATCH /v1/swarms/:id":                          {roles: operate},
	"DELETE /v1/swarms/:id":                         {roles: operate},
	"POST /v1/swarms/:id/members":                   {roles: operate},
	"DELETE /v1/swarms/:id/members/:agent":          {roles: operate},
	"POST /v1/swarms/:id/tasks":                     {roles: operate},
	"POST /v1/swarms/:id/budget":                    {roles: operate},
	"POST /v1/swarms/:id/proposals":                 {roles: operate},
	"POST /v1/swarms/:id/proposals/:proposal/votes": {roles: operateOrSelf, agent: inBody},
	"POST /v1/workflow-definitions":                 {roles: operate},
	"GET /v1/workflow-definitions":                  {roles: read},
	"GET /v1/workflow-definitions/:id":              {roles: read},
	"POST /v1/workflows":                            {roles: operate},
	"GET /v1/workflows":                             {roles: read},
	"GET /v1/workflows/:id":                         {roles: read},
	"POST /v1/workflows/:id/pause":                  {roles: operate},
	"POST /v1/workflows/:id/resume":                 {roles: operate},
	"POST /v1/workflows/:id/cancel":                 {roles: operate},
	"POST /v1/workflows/:id/budget":                 {roles: operate},
	"POST /v1/workflows/:id/steps/:step/approve":    {roles: operate},
	"POST /v1/workflows/:id/steps/:step/reject":     {roles: operate},
	"POST /v1/workflows/:id/steps/:step/retry":      {roles: operate},
	"GET /v1/events":                                {roles: read},
	"GET /v1/streams/:stream":                       {roles: read},
	"GET /v1/tasks/:id":                             {roles: read},
	"POST /v1/tasks/:id/complete":                   {roles: self, agent: inBody},
	"POST /v1/tasks/:id/fail":                       {roles: self, agent: inBody},
	"POST /v1/tasks/:id/progress":                   {roles: self, agent: inBody},
	"POST /v1/tokens":                               {},
	"GET /v1/tokens":                                {},
	"DELETE /v1/tokens/:id":                         {},
	"GET /v1/views/overview":                        {roles: read},
	"GET /v1/views/swarms":                          {roles: read},
	"GET /v1/views/swarms/:id":                      {roles: read},
	"GET /v1/views/runs":                            {roles: read},
	"GET /v1/views/runs/:id":                        {roles: read},
	"GET /v1/views/queue":                           {roles: read},
	"GET /v1/views/throughput":                      {roles: read},
	"GET /v1/views/feed":                            {roles: read},
	"GET /v1/views/principals":                      {roles: read},
	"GET /v1/live":                                  {roles: read},
}

// public are the routes outside /v1, which need no token (/metrics does when
// AuthConfig.Metrics is set): the operational endpoints and the dashboard's
// page and files.
var public = map[string]bool{
	"GET /healthz":                      true,
	"GET /readyz":                       true,
	"GET /metrics":                      true,
	"GET " + openAPIPath:                true,
	"GET /":                             true,
	"GET " + dashboard.Prefix + ":file": true,
}

// The roles besides admin that rules let in.
var (
	read          = []token.Role{token.RoleOperator, token.RoleViewer}
	readOrSelf    = []token.Role{token.RoleOperator, token.RoleViewer, token.RoleAgent}
	operate       = []token.Role{token.RoleOperator}
	operateOrSelf = []token.Role{token.RoleOperator, token.RoleAgent}
	self          = []token.Role{token.RoleAgent}
)

// rule is who may call a route.
type rule struct {
	// roles may call the route, besides admin.
	roles []token.Role
	// agent is where the agent an agent token acts as is named.
	agent agentIn
}

// agentIn is where a request names the agent it acts as.
type agentIn int

const (
	nowhere agentIn = iota
	// inPath: the path's :id.
	inPath
	// inBody: agent_id in the JSON body.
	inBody
)

// check refuses the principal p a request to route, or returns nil.
func (r rule) check(c *gin.Context, route string, p Principal, maxBody int64) error {
	role := token.Role(p.Role)
	if role == token.RoleAdmin {
		return nil
	}
	need := append(slices.Clone(r.roles), token.RoleAdmin)
	if !slices.Contains(r.roles, role) {
		return &forbiddenError{need: need, detail: fmt.Sprintf("%s needs the role %s; this token has the role %s", route, orList(need), role)}
	}
	if role != token.RoleAgent {
		return nil
	}
	switch r.agent {
	case inPath:
		if c.Param("id") != p.AgentID {
			return &forbiddenError{need: need, detail: fmt.Sprintf("an agent token acts only as its own agent %s, not as %s", p.AgentID, c.Param("id"))}
		}
	case inBody:
		// A body that cannot be read is refused by the handler, as for anyone.
		if id, ok := bodyAgent(c, maxBody); ok && id != p.AgentID {
			return &forbiddenError{need: need, detail: fmt.Sprintf("an agent token acts only as its own agent: agent_id must be %s, not %q", p.AgentID, id)}
		}
	default:
		return &forbiddenError{need: need, detail: route + " has no agent an agent token could act as"}
	}
	return nil
}

// orList is "a", "a or b", "a, b or c".
func orList(roles []token.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
