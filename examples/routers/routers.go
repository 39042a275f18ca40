// Package routers holds the recipes the README gives for mounting
// gatehouse on routers other than net/http's ServeMux: chi, gin and echo.
// Its tests run each against a real Manager, so the recipes compile and
// work.
package routers

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-auth/gatehouse"
)

// Chi: gatehouse's middleware are chi's (func(http.Handler) http.Handler).
func Chi(auth *gatehouse.Manager, account, admin http.HandlerFunc) http.Handler {
	r := chi.NewRouter()
	r.Use(auth.Authenticate) // outermost: every route knows its user
	r.With(auth.RequireLogin).Get("/account", account)
	r.With(auth.RequireRoles("admin")).Get("/admin", admin)
	return r
}

// GinAuthenticate is Authenticate as gin middleware: the rest of the chain
// runs with the request Authenticate made.
func GinAuthenticate(auth *gatehouse.Manager) gin.HandlerFunc {
	return func(c *gin.Context) {
		auth.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
	}
}

// GinRequire is Require(p) as gin middleware: Check, and Deny answers
// 401, 403 or "log in again" as the built-in guards do.
func GinRequire(auth *gatehouse.Manager, p gatehouse.Policy) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := auth.Check(c.Request, p); err != nil {
			auth.Deny(c.Writer, c.Request, err) // 401, 403 or "log in again"
			c.Abort()
			return
		}
		c.Next()
	}
}

// Gin mounts the same routes on gin.
func Gin(auth *gatehouse.Manager, account, admin http.HandlerFunc) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(GinAuthenticate(auth))
	r.GET("/account", GinRequire(auth, gatehouse.Policy{}), gin.WrapF(account))
	r.GET("/admin", GinRequire(auth, gatehouse.Policy{Roles: []string{"admin"}}), gin.WrapF(admin))
	return r
}

// Echo: net/http middleware wrap as echo's.
func Echo(auth *gatehouse.Manager, account, admin http.HandlerFunc) http.Handler {
	e := echo.New()
	e.Use(echo.WrapMiddleware(auth.Authenticate))
	e.GET("/account", echo.WrapHandler(account), echo.WrapMiddleware(auth.RequireLogin))
	e.GET("/admin", echo.WrapHandler(admin), echo.WrapMiddleware(auth.RequireRoles("admin")))
	return e
}
