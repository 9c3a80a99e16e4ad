# Remove or edit the resource that manages rule 5a000009-0c1d-4e2f-8a3b-1c2d3e4f5a09 of cce-demo-cce-node-x7k2.
resource "huaweicloud_networking_secgroup_rule" "sgaudit_cce_demo_cce_node_x7k2_tcp_22_10_1_0_0_16" {
  security_group_id = "8b0a7f63-1a2d-4b8e-9a51-3f8e2b6c9d10"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  ports             = "22"
  remote_ip_prefix  = "10.1.0.0/16"
  action            = "allow"
  priority          = 1
  description       = "sgaudit: SSH only from the VPC"
}
