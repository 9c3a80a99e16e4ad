resource "huaweicloud_networking_secgroup_rule" "sgaudit_cce_demo_cce_node_x7k2_tcp_80_0_0_0_0_0" {
  security_group_id = "8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  ports             = "80"
  remote_ip_prefix  = "0.0.0.0/0"
  action            = "allow"
  priority          = 1
  description       = "sgaudit: default/nginx needs 80/TCP from 0.0.0.0/0"
}
