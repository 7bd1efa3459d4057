from orchestration.assistant.server import main

main()
