import TeleIngest
print("x")
