package api

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/invopop/jsonschema"

	"hive/actors/definition"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/http/dashboard"
	"hive/projections"
)

// operation is one route of the API as the document describes it.
type operation struct {
	method string
	// path is the route as Gin has it (/v1/agents/:id).
	path    string
	id, tag string
	summary string
	// description adds to the summary; the roles are added to it.
	description string
	query       []docParameter
	// command: the operation is a command (Hive-Correlation-Id, If-Match,
	// Idempotency-Key; a success carries Hive-Position and ETag).
	command bool
	// noIdempotencyKey: a command whose response must not be kept.
	noIdempotencyKey bool
	// body is a value of the request body's type; example is an example.
	body         any
	bodyOptional bool
	example      any
	responses    []response
	// problems are error statuses besides those every operation of its
	// kind may answer (see problemStatuses).
	problems []int
}

// response is a success response.
type response struct {
	status int
	// body is a value of the body's type, a docMedia, or nil for none.
	body        any
	contentType string
	description string
	headers     []string
}

func ok(status int, body any, headers ...string) response {
	return response{status: status, body: body, headers: headers}
}

// Examples of request bodies.
var (
	exampleBudget = map[string]any{"tokens": 5_000_000, "cost_micros": 20_000_000}
	exampleSteps  = []any{
		map[string]any{"id": "plan", "capability": "plan", "planner": true},
		map[string]any{"id": "build", "capability": "code", "depends_on": []string{"plan"}, "input": map[string]any{"target": "linux"},
			"retry": map[string]any{"max_attempts": 3, "backoff": "10s"}, "timeout": "15m", "priority": 5},
		map[string]any{"id": exampleStepID, "capability": "code", "depends_on": []string{"build"}, "approval": true},
	}
	exampleOperator = map[string]any{"by": "alice", "reason": "release freeze"}
)

// operations are every route the API serves, in the document's order.
func operations() []operation {
	return slices.Concat(agentOperations(), swarmOperations(), workflowOperations(), taskOperations(), viewOperations(), otherOperations())
}

func agentOperations() []operation {
	filters := slices.Concat(pageQuery, []docParameter{
		query("status", "Only agents with this status.", enumSchema("idle", "busy", "draining", "lost", "gone")),
		query("capability", "Only agents with this capability.", stringSchema()),
		query("swarm_id", "Only members of this swarm.", stringSchema()),
		query("label", "Only agents with this label, as key=value.", &jsonschema.Schema{Type: "string", Pattern: "^[^=]*=.*$"})})
	return []operation{
		{method: "POST", path: "/v1/agents", id: "registerAgent", tag: "agents", summary: "Register an agent",
			description: "The agent's id is the UUIDv5 of its name; registering a registered name is 409. A deregistered name may be registered again.",
			command:     true, body: registerAgentRequest{},
			example:   map[string]any{"name": "coder-1", "capabilities": []string{"code", "review"}, "labels": map[string]string{"team": "core"}, "max_concurrency": 2},
			responses: []response{ok(http.StatusCreated, agentResult{}, "Location")}},
		{method: "GET", path: "/v1/agents", id: "listAgents", tag: "agents", summary: "List agents", query: filters,
			responses: []response{ok(http.StatusOK, agentPage{})}},
		{method: "GET", path: "/v1/agents/:id", id: "getAgent", tag: "agents", summary: "Read an agent",
			responses: []response{ok(http.StatusOK, projections.Agent{})}},
		{method: "POST", path: "/v1/agents/:id/heartbeat", id: "heartbeat", tag: "workers", summary: "Say the agent is alive",
			description: "Moves the agent's deadline (a lost agent recovers).", command: true,
			responses: []response{ok(http.StatusOK, agentResult{})}},
		{method: "POST", path: "/v1/agents/:id/drain", id: "drainAgent", tag: "agents", summary: "Drain an agent",
			description: "The agent takes no new tasks; its tasks in flight finish.", command: true,
			body: reasonRequest{}, bodyOptional: true, example: map[string]any{"reason": "upgrade"},
			responses: []response{ok(http.StatusOK, agentResult{})}},
		{method: "DELETE", path: "/v1/agents/:id", id: "deregisterAgent", tag: "agents", summary: "Deregister an agent",
			description: "The agent is gone; its tasks in flight go to other members.", command: true, query: []docParameter{reason},
			responses: []response{ok(http.StatusOK, agentResult{})}},
		{method: "GET", path: "/v1/agents/:id/tasks", id: "listAgentTasks", tag: "agents", summary: "The agent's tasks in flight",
			responses: []response{ok(http.StatusOK, agentTaskList{})}},
		{method: "GET", path: "/v1/agents/:id/assignments", id: "pollAssignments", tag: "workers", summary: "Long-poll the agent's assignments",
			description: "The agent's tasks in flight, at once if one of them, or a revocation, is newer than after; else as soon as one is, " +
				"waiting at most wait. From the agent itself it is a heartbeat.",
			query: []docParameter{
				query("wait", "How long to wait for news, a Go duration up to 60s; 0 (the default) does not wait.", &jsonschema.Schema{Type: "string", Examples: []any{"30s"}}),
				query("after", "The cursor of the previous answer; 0 (the default) returns every task in flight.", integerSchema(0))},
			responses: []response{ok(http.StatusOK, projections.Work{})}},
		{method: "GET", path: "/v1/agents/:id/assignments/stream", id: "streamAssignments", tag: "workers", summary: "Stream the agent's assignments",
			description: "Server-sent events: an assignment event per assignment (data: an Assignment), a cancelled event per revocation " +
				"(data: a Revocation), event ids being log positions; a keep-alive comment every 15 s. Resume with Last-Event-ID (or after).",
			query: []docParameter{
				{Name: "Last-Event-ID", In: "header", Description: "The id of the last event received: resume after it.", Schema: stringSchema()},
				query("after", "Resume after this position, when there is no Last-Event-ID.", integerSchema(0))},
			responses: []response{{status: http.StatusOK, contentType: "text/event-stream", description: "An endless stream of server-sent events.",
				body: docMedia{Schema: stringSchema()}}}},
	}
}

func swarmOperations() []operation {
	return []operation{
		{method: "POST", path: "/v1/swarms", id: "createSwarm", tag: "swarms", summary: "Create a swarm",
			description: "Topologies: mesh, ring, star, hierarchical. The id is the UUIDv5 of the name.",
			command:     true, body: createSwarmRequest{},
			example: map[string]any{"name": "crew", "topology": "mesh", "min_size": 1, "max_size": 20,
				"weights": map[string]any{"capability": 1, "load": 2, "success": 1, "speed": 0.5}, "budget": exampleBudget},
			responses: []response{ok(http.StatusCreated, swarmResult{}, "Location")}},
		{method: "GET", path: "/v1/swarms", id: "listSwarms", tag: "swarms", summary: "List swarms", query: pageQuery,
			responses: []response{ok(http.StatusOK, swarmPage{})}},
		{method: "GET", path: "/v1/swarms/:id", id: "getSwarm", tag: "swarms", summary: "Read a swarm",
			responses: []response{ok(http.StatusOK, swarm.View{}, etagHeader)}},
		{method: "PATCH", path: "/v1/swarms/:id", id: "updateSwarm", tag: "swarms", summary: "Change a swarm's settings",
			description: "Topology, leader, weights, min_size, max_size: each given one is changed, checked as at creation (422 naming the field) " +
				"and against the swarm: the leader must be a member, max_size must admit its members and be at least min_size. " +
				"Recorded as SwarmSettingsChanged and, for a new leader, SwarmLeaderChanged, with the reason; the same settings change nothing. " +
				"A dissolved swarm is 409. Answers the swarm.",
			command: true, body: updateSwarmRequest{},
			example:   map[string]any{"topology": "star", "leader": exampleAgentID, "max_size": 8, "weights": map[string]any{"load": 2, "success": 1}, "reason": "one hub"},
			responses: []response{ok(http.StatusOK, swarmResult{})}},
		{method: "DELETE", path: "/v1/swarms/:id", id: "dissolveSwarm", tag: "swarms", summary: "Dissolve a swarm",
			description: "Its members leave and its open proposals close; it then takes no members, tasks, proposals, votes, budgets or settings, " +
				"and its name stays taken. While it has unfinished workflow runs (running or paused) or tasks it is 409, unless force=true: " +
				"then each run is cancelled and each task cancelled (a run's step fails), with the dissolution as their reason. " +
				"Dissolving a dissolved swarm changes nothing. Answers the swarm.",
			command: true,
			query: []docParameter{reason,
				query("force", "Cancel the swarm's unfinished runs and tasks (default false).", &jsonschema.Schema{Type: "boolean"})},
			responses: []response{ok(http.StatusOK, swarmResult{})}},
		{method: "POST", path: "/v1/swarms/:id/members", id: "joinSwarm", tag: "swarms", summary: "An agent joins the swarm",
			description: "An agent is in one swarm at a time; a full swarm is 409. Answers the swarm after the join.",
			command:     true, body: joinSwarmRequest{}, example: map[string]any{"agent_id": exampleAgentID},
			responses: []response{ok(http.StatusOK, swarm.View{})}},
		{method: "DELETE", path: "/v1/swarms/:id/members/:agent", id: "leaveSwarm", tag: "swarms", summary: "An agent leaves the swarm",
			description: "Its tasks in flight go to other members. Answers the swarm after the leave.", command: true, query: []docParameter{reason},
			responses: []response{ok(http.StatusOK, swarm.View{})}},
		{method: "POST", path: "/v1/swarms/:id/tasks", id: "submitTask", tag: "swarms", summary: "Submit a task to the swarm",
			command: true, body: submitTaskRequest{},
			example: map[string]any{"capability": "code", "input": map[string]any{"repo": "hive", "issue": 42}, "priority": 5,
				"max_attempts": 3, "backoff": "10s", "timeout": "15m"},
			description: "Answers the task's id, and its agent if the swarm assigned it at once.",
			responses:   []response{ok(http.StatusAccepted, submittedTaskResult{})}},
		{method: "POST", path: "/v1/swarms/:id/budget", id: "setSwarmBudget", tag: "swarms", summary: "Set the swarm's budget",
			description: "Lifts budget_exhausted when the new budget is above what was spent.",
			command:     true, body: ledger.Budget{}, example: exampleBudget,
			responses: []response{ok(http.StatusOK, swarmResult{})}},
		{method: "POST", path: "/v1/swarms/:id/proposals", id: "propose", tag: "swarms", summary: "Open a proposal for the members to vote on",
			description: "Rules: majority, unanimous, weighted.", command: true, body: proposeRequest{},
			example: map[string]any{"question": "Ship it?", "options": []string{"yes", "no"}, "rule": "majority", "quorum": 0.5,
				"voting_period": "5m", "proposed_by": "alice"},
			responses: []response{ok(http.StatusCreated, swarmResult{}, "Hive-Proposal-Id")}},
		{method: "POST", path: "/v1/swarms/:id/proposals/:proposal/votes", id: "vote", tag: "swarms", summary: "A member votes",
			command: true, body: voteRequest{}, example: map[string]any{"agent_id": exampleAgentID, "option": "yes"},
			responses: []response{ok(http.StatusOK, swarmResult{})}},
	}
}

func workflowOperations() []operation {
	runCommand := func(path, id, summary, description string, example any) operation {
		return operation{method: "POST", path: path, id: id, tag: "workflows", summary: summary, description: description,
			command: true, body: operatorRequest{}, bodyOptional: true, example: example,
			responses: []response{ok(http.StatusOK, workflowRunResult{})}}
	}
	return []operation{
		{method: "POST", path: "/v1/workflow-definitions", id: "saveWorkflowDefinition", tag: "workflows", summary: "Save a workflow definition",
			description: "A named DAG of steps; each change is a new version, saving the newest again changes nothing.",
			command:     true, body: saveDefinitionRequest{},
			example:   map[string]any{"name": "release", "description": "plan, build, ship", "steps": exampleSteps},
			responses: []response{ok(http.StatusOK, workflowDefinitionResult{}, "Location")}},
		{method: "GET", path: "/v1/workflow-definitions", id: "listWorkflowDefinitions", tag: "workflows", summary: "List workflow definitions",
			query: pageQuery, responses: []response{ok(http.StatusOK, workflowDefinitionPage{})}},
		{method: "GET", path: "/v1/workflow-definitions/:id", id: "getWorkflowDefinition", tag: "workflows", summary: "Read a workflow definition, every version",
			responses: []response{ok(http.StatusOK, definition.State{}, etagHeader)}},
		{method: "POST", path: "/v1/workflows", id: "startWorkflow", tag: "workflows", summary: "Start a workflow run",
			description: "From steps, or from a saved definition (and definition_version, default the newest). The DAG is validated: " +
				"unknown dependencies, cycles and duplicate ids are 422 naming the field. An unknown swarm or definition is 404.",
			command: true, body: startWorkflowRequest{}, problems: []int{http.StatusNotFound},
			example:   map[string]any{"name": "release", "swarm_id": exampleSwarmID, "steps": exampleSteps, "budget": exampleBudget},
			responses: []response{ok(http.StatusCreated, workflowRunResult{}, "Location")}},
		{method: "GET", path: "/v1/workflows", id: "listWorkflows", tag: "workflows", summary: "List workflow runs",
			query: slices.Concat(pageQuery, []docParameter{
				query("status", "Only runs with this status.", enumSchema("running", "paused", "completed", "failed", "cancelled")),
				query("swarm_id", "Only runs on this swarm.", stringSchema())}),
			responses: []response{ok(http.StatusOK, workflowPage{})}},
		{method: "GET", path: "/v1/workflows/:id", id: "getWorkflow", tag: "workflows", summary: "Read a workflow run, or wait for it to end",
			description: "Every step's state, attempts, agent and output, and the run's timeline. With wait, the answer comes once the run " +
				"has ended (completed, failed, cancelled or budget_exhausted: it goes no further unless an operator acts; a paused run " +
				"has not ended), or when the wait passes or the server begins to shut down, whichever is first: 200 either way, " +
				resultWaitText,
			query: []docParameter{waitQuery("run")}, problems: []int{http.StatusUnprocessableEntity},
			responses: []response{ok(http.StatusOK, workflow.RunView{}, etagHeader, endedHeader)}},
		runCommand("/v1/workflows/:id/pause", "pauseWorkflow", "Pause a run", "No new assignments; running tasks finish.", exampleOperator),
		runCommand("/v1/workflows/:id/resume", "resumeWorkflow", "Resume a paused run", "", map[string]any{"by": "alice"}),
		runCommand("/v1/workflows/:id/cancel", "cancelWorkflow", "Cancel a run", "Running tasks are told to stop; their results are ignored.", exampleOperator),
		{method: "POST", path: "/v1/workflows/:id/budget", id: "setWorkflowBudget", tag: "workflows", summary: "Set the run's budget",
			command: true, body: ledger.Budget{}, example: exampleBudget,
			responses: []response{ok(http.StatusOK, workflowRunResult{})}},
		runCommand("/v1/workflows/:id/steps/:step/approve", "approveStep", "Approve a step waiting for approval", "", map[string]any{"by": "alice", "comment": "go"}),
		runCommand("/v1/workflows/:id/steps/:step/reject", "rejectStep", "Reject a step waiting for approval", "", map[string]any{"by": "alice", "comment": "not today"}),
		runCommand("/v1/workflows/:id/steps/:step/retry", "retryStep", "Retry a failed step", "", map[string]any{"by": "alice"}),
	}
}

// resultWaitText ends the description of the reads that wait for a run
// or a task to end.
var resultWaitText = "with Hive-Ended: true when it has ended, false when the answer is the state as it is. " +
	"Combined with min_position, the read first waits for the read models to reach that position, then for the end. " +
	fmt.Sprintf("An unreadable wait, or one above %gs, is 422 naming wait.", MaxResultWait.Seconds())

// waitQuery is the wait parameter of the reads that wait for a run or a
// task (what) to end.
func waitQuery(what string) docParameter {
	return query("wait", fmt.Sprintf("How long to wait for the %s to end, a Go duration up to %gs; 0 (the default) answers at once. ", what, MaxResultWait.Seconds())+
		"Ask again to wait longer.", &jsonschema.Schema{Type: "string", Examples: []any{"30s"}})
}

func taskOperations() []operation {
	return []operation{
		{method: "GET", path: "/v1/tasks/:id", id: "getTask", tag: "tasks", summary: "Read a task, finished or not",
			description: "Folded from the task's events in the log: where it is, or its final state (completed, failed, cancelled) " +
				"with its output, usage, failure or cancellation reason; and every attempt with its agent, times and outcome. " +
				"With wait, the answer comes once the task has ended (completed, failed for good or cancelled; not while it waits " +
				"for a retry), or when the wait passes or the server begins to shut down, whichever is first: 200 either way, " +
				resultWaitText,
			query: []docParameter{waitQuery("task")}, problems: []int{http.StatusUnprocessableEntity},
			responses: []response{ok(http.StatusOK, projections.Task{}, endedHeader)}},
		{method: "POST", path: "/v1/tasks/:id/complete", id: "completeTask", tag: "workers", summary: "Report a task's result",
			description: "Only the assigned agent may; sending the same result again changes nothing. An output over 256 KiB is 413 naming output.",
			command:     true, body: completeTaskRequest{},
			example: map[string]any{"agent_id": exampleAgentID, "output": map[string]any{"ok": true},
				"usage": map[string]any{"model": "some-model", "input_tokens": 1200, "output_tokens": 300, "cost_micros": 4200}},
			responses: []response{ok(http.StatusOK, taskReportResult{})}},
		{method: "POST", path: "/v1/tasks/:id/fail", id: "failTask", tag: "workers", summary: "Report a task's failure",
			description: "Only the assigned agent may. A retryable failure (the default) is retried on a member, up to the task's max_attempts.",
			command:     true, body: failTaskRequest{},
			example:   map[string]any{"agent_id": exampleAgentID, "reason": "tests failed", "retryable": true},
			responses: []response{ok(http.StatusOK, taskReportResult{})}},
		{method: "POST", path: "/v1/tasks/:id/progress", id: "reportProgress", tag: "workers", summary: "Report progress on a task",
			description: "Recorded as an AgentTaskProgress event of the agent and shown on its assignment; a heartbeat too.",
			command:     true, body: progressRequest{}, example: map[string]any{"agent_id": exampleAgentID, "message": "tests running", "percent": 60},
			responses: []response{ok(http.StatusOK, progressResult{})}},
	}
}

// rawQuery asks the log routes for every event's payload bytes.
var rawQuery = docParameter{Name: "raw", In: "query", Description: "true: every event with its exact payload bytes in payload_base64, " +
	"to verify its hash; an event holding secrets (its payload's `redacted` fields, e.g. a token's secretHash, are never in the JSON) " +
	"gets them only with an admin token.", Schema: enumSchema("true", "false")}

func otherOperations() []operation {
	return []operation{
		{method: "GET", path: "/v1/events", id: "listEvents", tag: "events", summary: "Read the global log",
			description: "In position order, with metadata, hash and payload as JSON; head is the newest position.",
			query: slices.Concat(pageQuery, []docParameter{rawQuery,
				query("after", "Start after this global position, instead of a cursor.", integerSchema(0)),
				query("stream", "Only events of this stream.", stringSchema()),
				query("type", "Only events of this type, e.g. hive.v1.AgentRegistered.", stringSchema()),
				query("correlation_id", "Only events with this correlation id.", stringSchema())}),
			responses: []response{ok(http.StatusOK, eventPage{})}},
		{method: "GET", path: "/v1/streams/:stream", id: "readStream", tag: "events", summary: "Read one stream",
			query: []docParameter{{Ref: "#/components/parameters/Limit"}, rawQuery,
				query("from", "The first version to read; default 1, or the newest backward.", integerSchema(1)),
				{Name: "direction", In: "query", Description: "Read forward (the default) or backward.", Schema: enumSchema("forward", "backward")}},
			responses: []response{ok(http.StatusOK, streamPage{})}},
		{method: "POST", path: "/v1/tokens", id: "createToken", tag: "tokens", summary: "Create a token",
			description: "The answer is the only time the token is shown; Idempotency-Key is refused, as Hive does not keep the secret. " +
				"Roles: admin, operator, agent (with agent_id), viewer.",
			command: true, noIdempotencyKey: true, body: createTokenRequest{},
			example:   map[string]any{"role": "agent", "agent_id": exampleAgentID, "name": "coder-1"},
			responses: []response{ok(http.StatusCreated, createdTokenResult{}, "Location")}},
		{method: "GET", path: "/v1/tokens", id: "listTokens", tag: "tokens", summary: "List tokens, revoked ones too",
			responses: []response{ok(http.StatusOK, tokenList{})}},
		{method: "DELETE", path: "/v1/tokens/:id", id: "revokeToken", tag: "tokens", summary: "Revoke a token",
			description: "The token is refused from the moment this answers.", command: true, query: []docParameter{reason},
			responses: []response{ok(http.StatusOK, tokenResult{})}},
		{method: "GET", path: "/healthz", id: "healthz", tag: "operations", summary: "The process is up",
			responses: []response{ok(http.StatusOK, healthStatus{})}},
		{method: "GET", path: "/readyz", id: "readyz", tag: "operations", summary: "The read models have caught up with the log, and the event store can be reached",
			description: "Also says how far each read model is behind the head of the log, in positions and seconds; a failed one names the event it stopped on. 503 while the event store cannot be reached; /healthz stays 200 meanwhile, for the server reconnects by itself.",
			responses:   []response{ok(http.StatusOK, readiness{})}, problems: []int{http.StatusServiceUnavailable}},
		{method: "GET", path: "/metrics", id: "metrics", tag: "operations", summary: "Prometheus metrics",
			description: "Open unless hive serve --metrics-auth, which asks for a token of any role.",
			responses: []response{{status: http.StatusOK, contentType: "text/plain", description: "The Prometheus text format.",
				body: docMedia{Schema: stringSchema()}}}},
		{method: "GET", path: openAPIPath, id: "openapi", tag: "operations", summary: "This document",
			responses: []response{{status: http.StatusOK, contentType: "application/json", description: "The OpenAPI 3.1 document of the API.",
				body: docMedia{Schema: &jsonschema.Schema{Type: "object"}}}}},
		{method: "GET", path: "/", id: "dashboard", tag: "dashboard", summary: "The dashboard's page",
			description: "Hive's web dashboard. It asks for a token, keeps it for the browser tab's session and sends it with its calls; " +
				"it follows GET /v1/live. Revalidated by ETag.",
			responses: []response{{status: http.StatusOK, contentType: "text/html", description: "The page.", body: docMedia{Schema: stringSchema()}}, notModified}},
		{method: "GET", path: dashboard.Prefix + ":file", id: "dashboardFile", tag: "dashboard", summary: "A file of the dashboard",
			description: "A script module, the style sheet or an image, as the page names it. Revalidated by ETag.",
			responses: []response{{status: http.StatusOK, description: "The file.", body: docContent{
				"text/javascript": {Schema: stringSchema()}, "text/css": {Schema: stringSchema()}, "image/svg+xml": {Schema: stringSchema()}}}, notModified}},
	}
}

// notModified answers a request whose If-None-Match names the current ETag.
var notModified = response{status: http.StatusNotModified, description: "The copy the client has (If-None-Match) is current."}

func viewOperations() []operation {
	view := func(path, id, summary, description string, body any, query ...docParameter) operation {
		return operation{method: "GET", path: path, id: id, tag: "views", summary: summary, description: description, query: query,
			responses: []response{ok(http.StatusOK, body)}}
	}
	return []operation{
		view("/v1/views/overview", "viewOverview", "Counts, throughput and lag at a glance", "", overview{}),
		view("/v1/views/swarms", "viewSwarms", "Swarms with their members, queues and open proposals", "", swarmRowPage{}, pageQuery...),
		view("/v1/views/swarms/:id", "viewSwarm", "A swarm with its members, queue and open proposals", "", projections.SwarmRow{}),
		view("/v1/views/runs", "viewRuns", "Workflow runs with their progress", "", runRowPage{}, slices.Concat(pageQuery, []docParameter{
			query("status", "Only runs with this status.", enumSchema(runStatuses...)),
			query("swarm", "Only runs on this swarm.", stringSchema())})...),
		view("/v1/views/runs/:id", "viewRun", "A run with each step's state and its timeline", "", projections.RunDetail{}),
		view("/v1/views/queue", "viewQueue", "Unfinished tasks by phase, swarm and capability", "", projections.QueueView{}),
		view("/v1/views/throughput", "viewThroughput", "Events, commands and finished tasks per minute over the last hour",
			"Minutes by the events' recorded time, ending with the newest event's.", projections.ThroughputView{}),
		view("/v1/views/feed", "viewFeed", "The newest coordination decisions, with their reasons",
			"Newest first; the feed keeps the last 1000.", feedPage{}, docParameter{Ref: "#/components/parameters/Limit"}),
		view("/v1/views/principals", "viewPrincipals", "What each principal did", "", principalList{}),
		liveOperation(),
	}
}

func liveOperation() operation {
	return operation{method: "GET", path: "/v1/live", id: "live", tag: "views", summary: "Follow the read models' changes",
		description: "Server-sent events: first a hello event (data {epoch, last_id}), then a change event per read-model row changed on the " +
			"topics (id <epoch>-<seq>, data a Change {topic, position, op, id, data}), a `: ping` comment every 15 s when idle. " +
			"Resume with Last-Event-ID (or last_event_id): every change after it, no gap, no duplicate; an id of another epoch or " +
			"older than the changes kept, or a client that falls too far behind, gets a resync event (data {reason}) and the stream ends.",
		query: []docParameter{
			query("topics", "Comma-separated: agents, swarms, runs, queue, throughput, feed, principals, workflows/<run id>.",
				&jsonschema.Schema{Type: "string", Examples: []any{"agents,swarms,workflows/" + exampleRunID, "feed"}}),
			query("last_event_id", "Resume after this event id, when there is no Last-Event-ID header.", stringSchema()),
			{Name: "Last-Event-ID", In: "header", Description: "The id of the last change received: resume after it.", Schema: stringSchema()}},
		responses: []response{{status: http.StatusOK, contentType: "text/event-stream", description: "An endless stream of server-sent events.",
			body: docMedia{Schema: stringSchema()}}},
		problems: []int{http.StatusUnprocessableEntity}}
}
