# terraform/reserved-instances.tf
resource "aws_ec2_capacity_reservation" "database" {
  instance_type     = "db.r6g.xlarge"
  instance_platform = "Linux/UNIX"
  availability_zone = "us-east-1a"
  instance_count    = 2
  
  # 1-year term, all upfront for maximum savings
  end_date_type = "limited"
  end_date      = "2026-08-29T23:59:59.000Z"
  
  tags = {
    Name = "UltiBiker Database Reserved Capacity"
    CostCenter = "infrastructure"
  }
}

# Savings Plan for compute
resource "aws_savingsplans_plan" "compute" {
  savings_plan_type = "Compute"
  term             = "1"
  payment_option   = "All Upfront"
  commitment       = "1500"  # $1500/month commitment
  
  tags = {
    Environment = "production"
    Project = "ultibiker"
  }
}
