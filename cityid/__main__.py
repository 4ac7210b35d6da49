from cityid.console import main

main()
