# Node groups, volumes and sizes derived with `for` and splat expressions.

variable "region" {
  default = "us-east-1"
}

variable "pools" {
  default = [
    { name = "app", type = "c5.xlarge", nodes = 3 },
    { name = "batch", type = "c5.2xlarge", nodes = 2 },
    { name = "spare", type = "c5.large", nodes = 0 },
  ]
}

variable "influx_volumes" {
  default = [
    { name = "influx-0", az = "us-east-1a", gb = 200 },
    { name = "influx-1", az = "us-east-1b", gb = 300 },
    { name = "influx-2", az = "us-east-1a", gb = 150 },
  ]
}

locals {
  # pools with nodes, by name
  active = { for p in var.pools : p.name => p if p.nodes > 0 }
  # volume sizes grouped by availability zone: { "us-east-1a" = [200, 150], "us-east-1b" = [300] }
  gb_by_az = { for v in var.influx_volumes : v.az => v.gb... }
}

provider "aws" {
  region = var.region
}

module "eks" {
  source          = "terraform-aws-modules/eks/aws"
  cluster_name    = "shop"
  cluster_version = "1.30"

  eks_managed_node_groups = {
    for name, p in local.active : name => {
      instance_types = [p.type]
      min_size       = 1
      max_size       = p.nodes * 2
      desired_size   = p.nodes
    }
  }
}

resource "aws_eks_node_group" "system" {
  cluster_name    = module.eks.cluster_name
  node_group_name = "system"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = ["subnet-a", "subnet-b"]
  instance_types  = ["c5.large"]
  disk_size       = 30

  scaling_config {
    # one system node per availability zone used by the volumes
    desired_size = length(distinct(var.influx_volumes[*].az))
    min_size     = 1
    max_size     = sum(var.pools.*.nodes)
  }
}

resource "aws_ebs_volume" "influx" {
  for_each          = { for v in var.influx_volumes : v.name => v }
  availability_zone = each.value.az
  size              = each.value.gb
  type              = "gp3"
}

resource "aws_ebs_volume" "backup" {
  for_each          = local.gb_by_az
  availability_zone = each.key
  size              = sum(each.value)
  type              = "gp2"
}

resource "aws_ebs_volume" "logs" {
  # the instances' ids are known only after apply
  for_each          = toset(aws_instance.web[*].id)
  availability_zone = "us-east-1a"
  size              = 10
  type              = "gp3"
}
