async function showMessage() {
  const element = document.getElementById("message");
  try {
    const response = await fetch("/api/message");
    const body = await response.json();
    element.textContent = body.message;
  } catch (error) {
    element.textContent = `The API did not answer: ${error}`;
  }
}

showMessage();
