package marathonsim

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTasksAsPlainText(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/apps", `{"id":"/shop/web","cmd":"x","instances":2,"portDefinitions":[{"port":10001},{"port":10002}]}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/api","cmd":"x","portDefinitions":[{"port":10005}]}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/worker","cmd":"x","portDefinitions":[]}`)
	x.until(time.Second, "running", func() bool { return len(x.deployments()) == 0 })
	x.must(200, "PUT", "/v2/apps/api", `{"instances":0}`) // its task is TASK_KILLING for a while

	for _, path := range []string{"/v2/tasks", "/v2/apps/shop/web/tasks"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "text/plain")
		rec := httptest.NewRecorder()
		x.s.ServeHTTP(rec, req)
		want := "shop_web\t10001\t127.0.0.1:31000\t127.0.0.1:31002\t\n" +
			"shop_web\t10002\t127.0.0.1:31001\t127.0.0.1:31003\t\n"
		if path == "/v2/tasks" {
			want = "api\t10005\t\n" + want
		}
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/plain" || rec.Body.String() != want {
			t.Errorf("GET %s (text/plain) = %d %q\n%s\nwant\n%s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body, want)
		}
	}
}
