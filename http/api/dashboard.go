package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hive/http/dashboard"
)

// dashboardRoutes serve the dashboard: its page at / and its files under
// dashboard.Prefix, without a token (the page asks for one and sends it
// with its own calls).
func (s *Server) dashboardRoutes(r *gin.Engine) {
	r.GET("/", s.dashboardPage)
	r.GET(dashboard.Prefix+":file", s.dashboardFile)
}

func (s *Server) dashboardPage(c *gin.Context) {
	s.ui.Index().ServeHTTP(c.Writer, c.Request)
}

func (s *Server) dashboardFile(c *gin.Context) {
	a, ok := s.ui.Lookup(c.Param("file"))
	if !ok {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "the dashboard has no file " + strconv.Quote(c.Param("file"))})
		return
	}
	a.ServeHTTP(c.Writer, c.Request)
}
