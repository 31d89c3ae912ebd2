from costplan.cli.app import main

main()
