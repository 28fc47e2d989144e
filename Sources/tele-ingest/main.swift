import TeleIngest
import ArgumentParser
print(versionString())
