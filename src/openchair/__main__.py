from openchair.cli.app import main

main()
