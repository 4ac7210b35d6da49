from cityid.cli import main

main()
