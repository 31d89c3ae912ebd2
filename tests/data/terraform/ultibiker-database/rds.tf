# Terraform configuration for RDS PostgreSQL
resource "aws_db_instance" "ultibiker_primary" {
  identifier = "ultibiker-prod-primary"
  
  # Engine configuration
  engine         = "postgres"
  engine_version = "15.4"
  instance_class = "db.r6g.xlarge"
  
  # Storage configuration
  allocated_storage     = 500
  max_allocated_storage = 2000
  storage_type         = "gp3"
  storage_encrypted    = true
  kms_key_id          = aws_kms_key.database.arn
  
  # Database configuration
  db_name  = "ultibiker"
  username = "ultibiker"
  password = random_password.db_password.result
  
  # Network configuration
  vpc_security_group_ids = [aws_security_group.database.id]
  db_subnet_group_name   = aws_db_subnet_group.database.name
  publicly_accessible    = false
  
  # High availability
  multi_az               = true
  backup_retention_period = 7
  backup_window          = "03:00-04:00"
  maintenance_window     = "sun:04:00-sun:05:00"
  
  # Monitoring
  monitoring_interval = 60
  monitoring_role_arn = aws_iam_role.rds_monitoring.arn
  
  # Performance insights
  performance_insights_enabled = true
  performance_insights_retention_period = 7
  
  # Security
  deletion_protection = true
  skip_final_snapshot = false
  final_snapshot_identifier = "ultibiker-prod-final-snapshot"
  
  # Connection pooling via RDS Proxy
  depends_on = [aws_db_proxy.ultibiker_proxy]
  
  tags = {
    Name = "UltiBiker Production Database"
    Environment = "production"
    Backup = "required"
  }
}

# Read replica for analytics workloads
resource "aws_db_instance" "ultibiker_replica" {
  identifier = "ultibiker-prod-replica"
  
  # Replica configuration
  replicate_source_db = aws_db_instance.ultibiker_primary.id
  instance_class     = "db.r6g.large"
  
  # Different AZ for availability
  availability_zone = data.aws_availability_zones.available.names[1]
  
  # Performance optimized for read workloads
  allocated_storage = 500
  storage_type     = "gp3"
  
  tags = {
    Name = "UltiBiker Analytics Replica"
    Environment = "production" 
    Purpose = "analytics"
  }
}
