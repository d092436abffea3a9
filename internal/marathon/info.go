package marathon

import (
	"context"
	"fmt"
)

// Info is what GET /v2/info says about a Marathon: enough to tell one
// cluster's Marathon from another's (see InfoResource.scala:39,75,117 of
// Marathon 1.4.13).
type Info struct {
	// Name is the product name ("marathon").
	Name    string `json:"name"`
	Version string `json:"version"`
	Leader  string `json:"leader"`
	// FrameworkID is Marathon's Mesos framework id; empty until Marathon
	// has registered with Mesos.
	FrameworkID string `json:"frameworkId"`
	// FrameworkName is marathon_config.framework_name (--framework_name).
	FrameworkName string `json:"-"`
	// ZK is zookeeper_config.zk, the ZooKeeper URL of Marathon's state.
	ZK string `json:"-"`
}

// Info reads /v2/info.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var v struct {
		Info
		MarathonConfig struct {
			FrameworkName string `json:"framework_name"`
		} `json:"marathon_config"`
		ZookeeperConfig struct {
			ZK string `json:"zk"`
		} `json:"zookeeper_config"`
	}
	if _, err := c.do(ctx, "GET", "/v2/info", nil, nil, &v); err != nil {
		return Info{}, fmt.Errorf("read /v2/info: %w", err)
	}
	info := v.Info
	info.FrameworkName, info.ZK = v.MarathonConfig.FrameworkName, v.ZookeeperConfig.ZK
	return info, nil
}
