Gem::Specification.new do |s|
  s.name = "starphleet-greeting"
  s.version = "1.0.0"
  s.summary = "A tiny gem ruby-hello vendors in vendor/cache"
  s.authors = ["Starphleet"]
  s.license = "MIT"
  s.files = ["lib/starphleet/greeting.rb"]
end
